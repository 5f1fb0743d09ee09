from django.urls import path

from forecasts import views

app_name = "forecasts"

urlpatterns = [
    path("", views.question_list, name="list"),
    path("<slug:slug>/", views.question_detail, name="question"),
    path("<slug:slug>/embed/", views.question_embed, name="embed"),
]
