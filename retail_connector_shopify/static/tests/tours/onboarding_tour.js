/** @odoo-module **/
import { registry } from "@web/core/registry";

// An administrator connects a Shopify store from the backend form, step by step, against
// the Shopify sandbox: credentials, Test Connection, Import Locations, map them in place,
// Register Webhooks, Import Now. The setup checklist follows each step.
registry.category("web_tour.tours").add("retail_connector_shopify_onboarding", {
    steps: () => [
        {
            content: "Create a backend",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            content: "Name it",
            trigger: ".o_field_widget[name='name'] input",
            run: "edit Tour Shop",
        },
        {
            content: "It is a Shopify store",
            trigger: ".o_field_widget[name='backend_type'] select",
            run: 'select "shopify"',
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
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved: the checklist asks for the connection test",
            trigger: ".o_form_saved .alert-info:contains('Click Test Connection')",
        },
        {
            content: "Test the connection",
            trigger: "button[name='action_shopify_test_connection']",
            run: "click",
        },
        {
            content: "The shop answered: its name is shown",
            trigger: ".o_field_widget[name='shopify_shop_name']:contains('Sandbox')",
        },
        {
            content: "Next step: the locations",
            trigger: ".alert-info:contains('Click Import Locations')",
        },
        {
            content: "Import the store's locations",
            trigger: "button[name='action_shopify_import_locations']",
            run: "click",
        },
        {
            content: "Open the Mappings tab",
            trigger: ".o_notebook_headers a[name='mappings']",
            run: "click",
        },
        {
            content: "Map Main Warehouse: edit its row",
            trigger: ".o_field_widget[name='mapping_ids'] .o_data_row:contains('Main Warehouse') td[name='location_id']",
            run: "click",
        },
        {
            content: "to WH/Stock",
            trigger: ".o_field_widget[name='mapping_ids'] .o_selected_row .o_field_widget[name='location_id'] input",
            run: "edit WH/Stock",
        },
        {
            content: "Pick WH/Stock",
            trigger: ".ui-menu-item a:contains('WH/Stock')",
            run: "click",
        },
        {
            content: "Map Paris Store: edit its row",
            trigger: ".o_field_widget[name='mapping_ids'] .o_data_row:contains('Paris Store') td[name='location_id']",
            run: "click",
        },
        {
            content: "to WH/Stock too",
            trigger: ".o_field_widget[name='mapping_ids'] .o_selected_row .o_field_widget[name='location_id'] input",
            run: "edit WH/Stock",
        },
        {
            content: "Pick WH/Stock",
            trigger: ".ui-menu-item a:contains('WH/Stock')",
            run: "click",
        },
        {
            content: "Save the mappings",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Next step: the webhooks",
            trigger: ".o_form_saved .alert-info:contains('Click Register Webhooks')",
        },
        {
            content: "Register the webhooks",
            trigger: "button[name='action_shopify_register_webhooks']",
            run: "click",
        },
        {
            content: "Next step: the first import",
            trigger: ".alert-info:contains('Click Import Now')",
        },
        {
            content: "Import now",
            trigger: "button[name='action_shopify_import_now']",
            run: "click",
        },
        {
            content: "The first import is queued, and it is the only step left",
            trigger: ".alert-info:contains('Queued: it runs in the background')",
        },
    ],
});
