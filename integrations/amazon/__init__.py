"""Clients for Amazon's hosted JWO APIs: one module per service, one signed transport, one
error tree. No models and no imports of our domain apps: services map their rows to the typed
requests here and act on the typed results.

    from integrations.amazon import payments
    result = payments.client().adjust_charge(payments.AdjustChargeRequest(...))
"""
