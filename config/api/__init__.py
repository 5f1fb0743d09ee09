"""The REST API's shared parts: errors, paging, filters, throttles, conditional reads,
permissions, tokens and the URL map. Each app's endpoints live in its own `api` module."""
