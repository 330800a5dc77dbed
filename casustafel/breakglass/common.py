"""What every page uses of break-glass: the banner's running grants (registered app-wide by the
factory)."""

from flask_login import current_user

from casustafel.breakglass import services
from casustafel.dates import utcnow


def template_helpers():
    """For the banner in base.html: the user's running grants, queried only when asked."""

    def active_break_glass():
        if not current_user.is_authenticated:
            return []
        return services.active_grants(current_user, utcnow())

    return {"active_break_glass": active_break_glass}
