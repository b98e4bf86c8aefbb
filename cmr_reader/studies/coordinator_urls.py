from django.urls import path

from cmr_reader.studies import case_list_views
from cmr_reader.studies import coordinator_views as views

app_name = "studies"
urlpatterns = [
    path("", views.study_list, name="list"),
    path("new/", views.study_create, name="create"),
    path("<int:study_id>/", views.study_detail, name="detail"),
    path("<int:study_id>/edit/", views.study_update, name="update"),
    path("<int:study_id>/criteria/", views.study_criteria, name="criteria"),
    path("<int:study_id>/cases/", views.study_add_cases, name="add_cases"),
    path("<int:study_id>/cases/select/", case_list_views.study_select_cases, name="select_cases"),
    path("<int:study_id>/cases/list/", case_list_views.study_cases, name="cases"),
    path("<int:study_id>/cases/remove/", case_list_views.study_remove_cases, name="remove_cases"),
    path("<int:study_id>/readers/", views.study_set_readers, name="set_readers"),
    path("<int:study_id>/assign/confirm/", views.study_confirm_assign, name="confirm_assign"),
    path("<int:study_id>/assign/", views.study_assign, name="assign"),
    path("<int:study_id>/blinding-audit/", views.study_blinding_audit, name="blinding_audit"),
    path("<int:study_id>/display/", views.study_display, name="display"),
    path("<int:study_id>/unblinding.csv", views.unblinding_key, name="unblinding"),
    path("<int:study_id>/ratings.csv", views.ratings_export, name="ratings"),
    path("<int:study_id>/answers.csv", views.answers_export, name="answers"),
    path("<int:study_id>/audit.csv", views.audit_export, name="audit"),
]
