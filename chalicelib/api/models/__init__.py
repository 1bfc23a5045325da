"""The API's models, one module per audience: what each one sends and what it is answered.
API models are not domain models: each answer is built from the domain explicitly."""
