"""Forms for logging in, the second factor and the user's own account."""

from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from casustafel.auth.passwords import policy_problem
from casustafel.forms import Form


class LoginForm(Form):
    email = EmailField(
        "E-mailadres",
        validators=[DataRequired("Vul uw e-mailadres in."), Length(max=254)],
    )
    password = PasswordField(
        "Wachtwoord",
        validators=[DataRequired("Vul uw wachtwoord in."), Length(max=1024, message="Dit wachtwoord is te lang.")],
    )


class CodeForm(Form):
    code = StringField(
        "Code uit uw authenticator-app",
        validators=[DataRequired("Vul de code van zes cijfers in."), Length(max=12)],
    )


class ReauthenticateForm(Form):
    password = PasswordField(
        "Wachtwoord",
        validators=[DataRequired("Vul uw wachtwoord in."), Length(max=1024, message="Dit wachtwoord is te lang.")],
    )


class NewPasswordMixin:
    def validate_new_password(self, field):
        problem = policy_problem(field.data or "", getattr(self, "email_for_policy", None))
        if problem:
            raise ValidationError(problem)


class ChangePasswordForm(NewPasswordMixin, Form):
    current_password = PasswordField(
        "Huidig wachtwoord", validators=[DataRequired("Vul uw huidige wachtwoord in.")]
    )
    new_password = PasswordField(
        "Nieuw wachtwoord", validators=[DataRequired("Kies een nieuw wachtwoord.")]
    )
    repeat_password = PasswordField(
        "Herhaal nieuw wachtwoord",
        validators=[
            DataRequired("Herhaal het nieuwe wachtwoord."),
            EqualTo("new_password", "De twee wachtwoorden zijn niet gelijk."),
        ],
    )


class ActivationForm(NewPasswordMixin, Form):
    new_password = PasswordField("Kies een wachtwoord", validators=[DataRequired("Kies een wachtwoord.")])
    repeat_password = PasswordField(
        "Herhaal het wachtwoord",
        validators=[DataRequired("Herhaal het wachtwoord."),
                    EqualTo("new_password", "De twee wachtwoorden zijn niet gelijk.")],
    )
