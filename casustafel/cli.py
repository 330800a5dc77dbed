"""Command-line tasks: `flask --app casustafel <group> <command>`. Each command lives with its
feature; this module only registers them."""

from casustafel.actions.cli import actions_cli
from casustafel.admin.cli import users_cli
from casustafel.audit.cli import audit_cli
from casustafel.demo import demo_cli
from casustafel.keys.cli import keys_cli
from casustafel.keys.index_cli import index_cli
from casustafel.meetings.cli import meetings_cli
from casustafel.notifications.cli import mail_cli
from casustafel.privacy.cli import privacy_cli
from casustafel.referrals.cli import referrals_cli
from casustafel.retention.cli import retention_cli
from casustafel.signals.cli import import_cli, mail_fetch
from casustafel.subject_requests.cli import rights_cli

COMMANDS = (keys_cli, index_cli, users_cli, mail_cli, audit_cli, actions_cli, referrals_cli, retention_cli, rights_cli,
            privacy_cli, meetings_cli, demo_cli, import_cli)


# `flask mail fetch` reads the meldpunt mailbox (a signals channel) next to `mail send`.
mail_cli.add_command(mail_fetch)


def init_app(app) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
