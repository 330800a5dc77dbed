"""Routes declared in a feature's sub-route modules, registered on the feature's blueprint.

A feature's `views.py` defines its blueprint and imports its sub-route modules; each of those
collects its routes in a `Routes` and never imports `views.py`, so no module of a feature
imports another in a circle:

    # meetings/agenda.py
    routes = Routes()

    @routes.route("/<uuid:meeting_id>/agendapunten/<uuid:item_id>")
    @role_required(Role.COORDINATOR)
    def item(meeting_id, item_id): ...

    # meetings/views.py
    bp = Blueprint("meetings", __name__, url_prefix="/overleggen")
    register_routes(bp, agenda, member, pdf)
"""


class Routes:
    """Blueprint calls kept until the blueprint exists: routes, context processors, filters."""

    def __init__(self):
        self._deferred = []

    def route(self, rule: str, **options):
        def decorator(view):
            self._deferred.append(lambda bp: bp.add_url_rule(rule, view_func=view, **options))
            return view

        return decorator

    def app_context_processor(self, function):
        self._deferred.append(lambda bp: bp.app_context_processor(function))
        return function

    def app_template_filter(self, name: str):
        def decorator(function):
            self._deferred.append(lambda bp: bp.add_app_template_filter(function, name))
            return function

        return decorator

    def register_on(self, bp) -> None:
        for deferred in self._deferred:
            deferred(bp)


def register_routes(bp, *modules) -> None:
    """Put the routes of the feature's sub-route modules on its blueprint."""
    for module in modules:
        module.routes.register_on(bp)
