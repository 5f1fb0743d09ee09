from django.urls import path

from forecasts import views

app_name = "forecasts"

urlpatterns = [
    path("", views.question_list, name="list"),
    path("<slug:slug>/", views.question_detail, name="question"),
    path("<slug:slug>/embed/", views.question_embed, name="embed"),
    path("<slug:slug>/forecast/", views.submit_forecast, name="forecast"),
    path("<slug:slug>/follow/", views.follow_question, name="follow"),
]

# Reader pages that live at the top of the site rather than under /questions/.
reader_patterns = [
    path("leaderboard/", views.leaderboard, name="leaderboard"),
    path("track-record/", views.track_record, name="track_record"),
    path("accounts/forecasts/", views.my_forecasts, name="my_forecasts"),
    path("follow/<str:token>/unsubscribe/", views.unsubscribe, name="unsubscribe"),
]
