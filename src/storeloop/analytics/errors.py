"""The one error type of the analytics engine that a person, not a programmer, must act on."""


class InputError(ValueError):
    """Input a person must fix; the message names the column or option and, if any, the row."""
