"""The door every request of the API passes: a query parameter, a JSON body or a form field the
service could not store (storable.py) is refused before any route sees it.

Routers use it as `APIRouter(route_class=StorableInputRoute)`: the route gets a request whose
`json()` and `form()` answer only storable values, whoever reads them (FastAPI for a declared
body or form, or the route itself).
"""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute
from starlette._utils import AwaitableOrContextManager, AwaitableOrContextManagerWrapper
from starlette.datastructures import FormData, UploadFile

from ..storable import UnstorableError, check_storable, shown


class UnstorableInputError(HTTPException):
    """A request holding a value the service could not store: 400 (errors.py answers the WES
    routes that declare no 400 with their 404)."""

    def __init__(self, error: UnstorableError) -> None:
        super().__init__(400, f"{error}; nothing was stored")


def refuse_unstorable(value: Any, field: str) -> None:
    try:
        check_storable(value, field)
    except UnstorableError as error:
        raise UnstorableInputError(error) from None


class StorableInputRequest(Request):
    async def json(self) -> Any:
        value = await super().json()
        refuse_unstorable(value, "")
        return value

    def form(
        self,
        *,
        max_files: int | float = 1000,
        max_fields: int | float = 1000,
        max_part_size: int = 1024 * 1024,
    ) -> AwaitableOrContextManager[FormData]:
        return AwaitableOrContextManagerWrapper(
            self._storable_form(
                max_files=max_files, max_fields=max_fields, max_part_size=max_part_size
            )
        )

    async def _storable_form(self, **limits: Any) -> FormData:
        form = await super().form(**limits)
        for name, value in form.multi_items():
            refuse_unstorable(name, "a form field's name")
            if isinstance(value, UploadFile):
                refuse_unstorable(value.filename or "", f"{shown(name)} (a file's name)")
            else:
                refuse_unstorable(value, shown(name))
        return form


REFUSED = {"description": "A value the service could not store (see *Input the service refuses*)"}


class StorableInputRoute(APIRoute):
    documents_refusal = True
    """Whether a route that takes input gets the 400 in its OpenAPI; False where a
    specification fixes the answers (WES)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        takes_input = self.dependant.query_params or self.body_field is not None
        if self.documents_refusal and takes_input and not {400, "400"} & set(self.responses):
            self.responses[400] = REFUSED

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def storable_input_handler(request: Request) -> Response:
            for name, value in request.query_params.multi_items():
                refuse_unstorable(name, "a query parameter's name")
                refuse_unstorable(value, f"query parameter {shown(name)}")
            return await handle(StorableInputRequest(request.scope, request.receive))

        return storable_input_handler


class SpecifiedInputRoute(StorableInputRoute):
    documents_refusal = False
