"""The look of the hosted page: themes and colours."""
