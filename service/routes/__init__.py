"""One router per resource; :data:`service.app.ROUTERS` lists them."""
