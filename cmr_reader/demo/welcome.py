"""The demo's welcome, printed by scripts/demo.sh before the server starts: where to go and how
to log in as each role, so that the first command of the README ends with a next step."""

from django.utils.translation import gettext as _

from cmr_reader.accounts.roles import Role
from cmr_reader.demo.users import DEMO_USERS


def role_tasks() -> dict[Role, str]:
    return {
        Role.COORDINATOR: _("import cases, build a reader study, assign it, watch progress"),
        Role.STATISTICIAN: _("analyse a study: agreement, AI versus reference, exports"),
        Role.READER: _("read the images and score Report A and Report B"),
    }


def welcome_text(*, url: str, password: str, cases: int, studies: list[str]) -> str:
    """The lines to print: the address, every demo user with what that role does, the password,
    what the demo holds and where the guides are."""
    tasks = role_tasks()
    width = max(len(name) for name, _role in DEMO_USERS) + 3
    rule = "=" * 78
    lines = [
        rule,
        "  " + _("CMR Reader demo: open %(url)s in your browser") % {"url": url},
        "",
        "  " + _("User") + " " * max(1, width - len(_("User"))) + _("What to do"),
    ]
    lines += [f"  {name:<{width}}{tasks[role]}" for name, role in DEMO_USERS]
    lines += [
        "",
        "  "
        + _("Password for every demo user: %(password)s (set DEMO_PASSWORD to choose another)")
        % {"password": password},
        "  "
        + _("The demo holds %(cases)d synthetic cases and %(studies)s.")
        % {"cases": cases, "studies": ", ".join(studies) or _("no study yet")},
        "  " + _("Chinese interface (简体中文): the language switch at the top right of every page."),
        "  " + _("Guides: docs/guides/ (reader, coordinator, statistician, operator)."),
        "  " + _("Ctrl-C stops the web server and the task worker."),
        rule,
    ]
    return "\n".join(lines)
