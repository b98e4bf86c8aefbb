"""Django's makemessages, taught this project's JavaScript helpers and its ignore list.

The viewer (viewer/src/i18n.js) and the page scripts (static/js/*.js) translate through small
helpers, ``t(message)``, ``format(message, values)`` and ``nformat(singular, plural, count,
values)``, which xgettext does not know as keywords; without them every viewer string would be
missing from djangojs.po. The ignore list keeps built or installed copies (the Vite bundle, the
virtualenv, collected static files), the tests and the model package out of the catalogue, so that
``manage.py makemessages -l zh_Hans`` and ``-d djangojs`` need no flags (docs/guides/translators.md).
"""

from django.core.management.commands import makemessages

JS_KEYWORDS = ["--keyword=t", "--keyword=format", "--keyword=nformat:1,2"]
# inference/ never imports Django (its prompts/*.txt are model input, not pages).
ALWAYS_IGNORED = [
    *[".venv", "node_modules", "viewer/node_modules", "static/viewer", "var"],
    *["tests", "bench", "inference", "test-artifacts"],
]


class Command(makemessages.Command):
    def handle(self, *args, **options):
        options["ignore_patterns"] = [*options.get("ignore_patterns", []), *ALWAYS_IGNORED]
        if options.get("domain") == "djangojs":
            self.xgettext_options = [*makemessages.Command.xgettext_options, *JS_KEYWORDS]
        return super().handle(*args, **options)
