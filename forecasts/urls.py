from django.urls import path

from forecasts import views

app_name = "forecasts"

urlpatterns = [
    path("<slug:slug>/", views.question_detail, name="question"),
]
