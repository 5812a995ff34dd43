app_name = "collections_app"
urlpatterns: list = []
