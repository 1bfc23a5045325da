"""What returns-desk tells shoppers, rendered without sending: the email job sends it."""
