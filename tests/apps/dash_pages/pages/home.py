"""The only page of the Dash Pages app, registered at "/"."""

from dash import html, register_page

register_page(__name__, path="/")

layout = html.Main(
    [
        html.H1("Dashboard"),
        html.P("Home page of the Dash Pages test app."),
    ]
)
