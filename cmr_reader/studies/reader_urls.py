from django.urls import path

from cmr_reader.studies import reader_views as views

app_name = "reading"
urlpatterns = [
    path("", views.reading_home, name="home"),
    path("split/", views.save_reading_split, name="split"),
    path("studies/<int:study_id>/continue/", views.continue_study, name="continue"),
    path("cases/<str:public_id>/", views.reading_case, name="case"),
    path("cases/<str:public_id>/answer/", views.save_answer, name="answer"),
    path("cases/<str:public_id>/submit/", views.submit_case, name="submit"),
    path("cases/<str:public_id>/activity/", views.record_activity, name="activity"),
]
