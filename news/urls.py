from django.urls import path

from news import views

app_name = "news"

urlpatterns = [
    path("", views.home, name="home"),
    path("stories/<slug:slug>/", views.story_detail, name="story"),
    path("stories/<slug:slug>/preview/", views.story_preview, name="story_preview"),
    path("topics/<slug:slug>/", views.topic_detail, name="topic"),
    path("search/", views.search, name="search"),
]
