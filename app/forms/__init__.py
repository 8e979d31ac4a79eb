"""User-task forms: each form key names a marshmallow schema, a page template and what a
submission does to the domain. The modeler offers these keys; diagrams may use no others."""

from app.forms.catalog import FORMS, Form, get_form

__all__ = ["FORMS", "Form", "get_form"]
