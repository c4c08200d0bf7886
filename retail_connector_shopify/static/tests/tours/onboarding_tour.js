/** @odoo-module **/
import { registry } from "@web/core/registry";

const MAPPINGS = ".o_field_widget[name='mapping_ids']";
const BACKEND_TYPE = ".o_field_widget[name='backend_type']";
const CHECKLIST = ".alert-info:has(.o_field_widget[name='setup_checklist'])";

function openBackendsFromTheMenu() {
    return [
        // Written out rather than web_tour's stepUtils, whose module moved in Odoo 19
        // (@web_tour/tour_service/tour_utils -> @web_tour/tour_utils): one tour for both.
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button:enabled",
            run: "click",
        },
        {
            content: "Open Retail Connector",
            trigger: ".o_app[data-menu-xmlid='retail_connector.menu_retail_root']",
            run: "click",
        },
        {
            content: "Open Backends",
            trigger: ".o_menu_sections [data-menu-xmlid='retail_connector.menu_retail_backend']",
            run: "click",
        },
    ];
}

function mapLocation(label, search, odooLocation) {
    // The row being edited shows its fields as inputs: it is found by its label's value.
    const row = `${MAPPINGS} .o_selected_row:has(.o_field_widget[name='external_label'] input:value('${label}'))`;
    return [
        {
            content: `Map ${label}: edit its row`,
            trigger: `${MAPPINGS} .o_data_row:not(.o_selected_row):contains('${label}') td[name='location_id']`,
            run: "click",
        },
        {
            content: `Search the Odoo location: ${search}`,
            trigger: `${row} .o_field_widget[name='location_id'] input`,
            run: `edit ${search}`,
        },
        {
            content: `Pick ${odooLocation}`,
            trigger: `.o-autocomplete--dropdown-item a:contains('${odooLocation}')`,
            run: "click",
        },
        {
            content: `${label} shows ${odooLocation}`,
            trigger: `${row} .o_field_widget[name='location_id'] input:value('${odooLocation}')`,
        },
    ];
}

// An administrator connects a Shopify store, step by step, against the Shopify sandbox:
// a new backend from the menu, its credentials, Test Connection, Import Locations, the
// location mapping in the editable list, Register Webhooks, Import Now. The setup checklist
// at the top of the form follows each step.
registry.category("web_tour.tours").add("retail_connector_shopify_onboarding", {
    steps: () => [
        ...openBackendsFromTheMenu(),
        {
            content: "Create a backend",
            trigger: ".o_list_view .o_list_button_add",
            run: "click",
        },
        {
            content: "Name it",
            trigger: ".o_form_view .o_field_widget[name='name'] input",
            run: "edit Tour Shop",
        },
        // Odoo 18 renders a selection field as a <select>, Odoo 19 as a dropdown menu: the
        // steps of the other series are skipped (isActive: their element is absent).
        {
            content: "It is a Shopify store (Odoo 18: a select)",
            isActive: [`${BACKEND_TYPE} select`],
            trigger: `${BACKEND_TYPE} select`,
            run: 'select "shopify"',
        },
        {
            content: "It is a Shopify store (Odoo 19: open the dropdown)",
            isActive: [`${BACKEND_TYPE} .o_select_menu_toggler`],
            trigger: `${BACKEND_TYPE} .o_select_menu_toggler`,
            run: "click",
        },
        {
            content: "It is a Shopify store (Odoo 19: pick it)",
            isActive: [`${BACKEND_TYPE} .o_select_menu_toggler`],
            trigger: ".o_select_menu_item:contains('Shopify')",
            run: "click",
        },
        {
            content: "Open the Shopify tab",
            trigger: ".o_notebook_headers a[name='shopify']",
            run: "click",
        },
        {
            content: "The shop domain",
            trigger: ".o_field_widget[name='shopify_shop_domain'] input",
            run: "edit sandbox-retail.myshopify.com",
        },
        {
            content: "The Admin API access token",
            trigger: ".o_field_widget[name='shopify_access_token'] input",
            run: "edit shpat_sandbox_token",
        },
        {
            content: "Shopify is the local sandbox here (the Advanced base URL, a default)",
            trigger: ".o_field_widget[name='shopify_api_base_url'] input:value('http://127.0.0.1:')",
        },
        {
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved: credentials done, the checklist asks for the connection test",
            trigger: `.o_form_saved ${CHECKLIST}:contains('Click Test Connection')`,
        },
        {
            content: "Test the connection",
            trigger: ".o_statusbar_buttons button[name='action_shopify_test_connection']",
            run: "click",
        },
        {
            content: "The shop answered: its name is shown",
            trigger: ".o_field_widget[name='shopify_shop_name']:contains('Sandbox Retail')",
        },
        {
            content: "The checklist moved on to the locations",
            trigger: `${CHECKLIST}:contains('Click Import Locations'):not(:contains('Click Test Connection'))`,
        },
        {
            content: "Import the store's locations",
            trigger: ".o_statusbar_buttons button[name='action_shopify_import_locations']",
            run: "click",
        },
        {
            content: "Open the Mappings tab",
            trigger: ".o_notebook_headers a[name='mappings']",
            run: "click",
        },
        {
            content: "Both Shopify locations are there, to complete",
            trigger: `${MAPPINGS}:has(.o_data_row:contains('Main Warehouse')):has(.o_data_row:contains('Paris Store'))`,
        },
        ...mapLocation("Main Warehouse", "Stock", "WH/Stock"),
        ...mapLocation("Paris Store", "Paris", "WH/Paris Boutique"),
        {
            content: "Save the mappings",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved: the rows are complete",
            trigger: `.o_form_saved ${MAPPINGS}:not(:has(.o_data_row.text-warning)):has(.o_data_row:contains('WH/Paris Boutique'))`,
        },
        {
            content: "The checklist moved on to the webhooks",
            trigger: `.o_form_saved ${CHECKLIST}:contains('Click Register Webhooks'):not(:contains('Click Import Locations'))`,
        },
        {
            content: "Register the webhooks",
            trigger: ".o_statusbar_buttons button[name='action_shopify_register_webhooks']",
            run: "click",
        },
        {
            content: "The checklist moved on to the first import",
            trigger: `${CHECKLIST}:contains('Click Import Now'):not(:contains('Click Register Webhooks'))`,
        },
        {
            content: "Open the Shopify tab",
            trigger: ".o_notebook_headers a[name='shopify']",
            run: "click",
        },
        {
            content: "Shopify holds every subscription the flows need",
            trigger: ".o_field_widget[name='shopify_webhook_report']:contains('All needed topics registered')",
        },
        {
            content: "Run the first import",
            trigger: ".o_statusbar_buttons button[name='action_shopify_import_now']",
            run: "click",
        },
        {
            content: "The first import is queued: the only step left",
            trigger: `${CHECKLIST}:contains('Queued: it runs in the background'):not(:contains('Click'))`,
        },
    ],
});

// Once the job runner has run the first import, the administrator opens the backend again:
// the setup checklist is gone and the checkpoints show the import.
registry.category("web_tour.tours").add("retail_connector_shopify_onboarding_done", {
    steps: () => [
        ...openBackendsFromTheMenu(),
        {
            content: "Open the new backend",
            trigger: ".o_list_view .o_data_row:contains('Tour Shop') td[name='name']",
            run: "click",
        },
        {
            content: "Its form is open",
            trigger: ".o_form_view .o_field_widget[name='name'] input:value('Tour Shop')",
        },
        {
            content: "Nothing is missing: the setup checklist is gone",
            trigger: ".o_form_view .o_form_sheet:not(:has(.o_field_widget[name='setup_checklist']))",
        },
        {
            content: "Open the Checkpoints tab",
            trigger: ".o_notebook_headers a[name='checkpoints']",
            run: "click",
        },
        {
            content: "The orders were polled",
            trigger: ".o_field_widget[name='checkpoint_ids'] .o_data_row:contains('orders') td[name='last_run_at']:not(:empty)",
        },
    ],
});
