"""The retailer's card processor, for balance payoffs in the shopper portal."""
