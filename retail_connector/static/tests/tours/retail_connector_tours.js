/** @odoo-module **/
import { registry } from "@web/core/registry";

// An operator opens a failed event from the events list, reads its message and ignores it.
registry.category("web_tour.tours").add("retail_connector_ignore_failed_event", {
    steps: () => [
        {
            content: "Open the failed event",
            trigger: ".o_data_row:contains('TOUR-1') td.o_data_cell",
            run: "click",
        },
        {
            content: "The form says what to fix",
            trigger: ".o_form_view .alert-danger:contains('Unknown country code')",
        },
        {
            content: "Ignore it",
            trigger: ".o_form_view button[name='action_ignore']",
            run: "click",
        },
        {
            content: "The event is ignored",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Ignored')",
        },
    ],
});

// From the dashboard to the backend's exception queue, then retry the failed event.
registry.category("web_tour.tours").add("retail_connector_dashboard", {
    steps: () => [
        {
            content: "The backend's card is on the dashboard, in red",
            trigger: ".o_kanban_record:contains('Tour backend') .text-danger",
        },
        {
            content: "Open its exceptions from the card",
            trigger: ".o_kanban_record:contains('Tour backend') a[name='action_open_exceptions']",
            run: "click",
        },
        {
            content: "The exception queue lists the failed event: open it",
            trigger: ".o_list_view .o_data_row:contains('TOUR-1') td.o_data_cell",
            run: "click",
        },
        {
            content: "Retry it",
            trigger: ".o_form_view button[name='action_retry']",
            run: "click",
        },
        {
            content: "The event is queued again",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Queued')",
        },
    ],
});
