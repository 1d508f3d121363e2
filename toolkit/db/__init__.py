"""Database migrations: `NNN_description.sql` files applied once, in order, under an advisory lock.

Pure Python on top of pg8000 so that the same runner works from a laptop and from the in-VPC Lambda
(toolkit/db/lambda_handler.py). Nothing here imports pydantic or typer: the Lambda zip holds only
toolkit/errors.py and this package.
"""
