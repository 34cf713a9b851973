"""Nothing from the client record is registered in the admin site: administrators manage
configuration and see no client record (the access policy). Collaterals and crisis events
are read and changed on the client's pages and through the API, under that policy, and
their history (who changed what, why) is kept by django-simple-history."""
