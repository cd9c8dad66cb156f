"""tyndau: a warehouse that measures how well Kazakhstan's state bodies listen to citizens."""

__version__ = "0.1.0"
