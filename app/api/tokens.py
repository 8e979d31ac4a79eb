"""Personal API tokens."""

from flask import request
from flask.views import MethodView

from app.api.auth import Unauthorized, actor, token_required
from app.api.blueprint import Blueprint
from app.api.schemas import ID, TokenInfoSchema, TokenRequestSchema, TokenSchema
from app.services import accounts
from app.services.errors import NotFound
from app.services.transactions import unit_of_work

blp = Blueprint("api_tokens", __name__, url_prefix="/tokens", description="Personal API tokens")


@blp.route("")
class Tokens(MethodView):
    @token_required
    @blp.response(200, TokenInfoSchema(many=True))
    def get(self):
        """My tokens, newest first, revoked ones included (names and dates only)."""
        return accounts.tokens_of(actor())

    @blp.arguments(TokenRequestSchema)
    @blp.response(201, TokenSchema)
    def post(self, args):
        """Exchange a username and password for a token (shown once)."""

        def issue():
            person = accounts.authenticate(args["username"], args["password"], request.remote_addr)
            if person is None:
                return None
            token, raw = accounts.issue_token(
                person, args["name"], args["scopes"], args["expires_in_days"]
            )
            return {"id": token.id, "name": token.name, "token": raw, "scopes": token.scopes}

        issued = unit_of_work(issue)
        if issued is None:
            raise Unauthorized("wrong username or password")
        return issued


@blp.route(f"/<{ID}:token_id>")
class Token(MethodView):
    decorators = [token_required]  # noqa: RUF012

    @blp.response(204)
    def delete(self, token_id: int):
        """Revoke one of my tokens."""
        if not unit_of_work(lambda: accounts.revoke_token(actor(), token_id)):
            raise NotFound(f"token {token_id} not found")
