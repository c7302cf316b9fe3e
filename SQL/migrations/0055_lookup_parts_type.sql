-- customers.lookup's parts as a row type of their own (issue "[3/7] Hot paths at the limit"). They
-- were the row type of the view crm.customer_lookup_parts, whose sub-selects name each part's unit
-- after the customer's (`o.tenant_id = c.tenant_id`): read by crm_lookup, whose policy names the
-- caller's unit as well, the planner put a gating filter (a Result node comparing the two) over
-- each of the dozen reads of every lookup. The parts are now read by one SQL function,
-- crm.lookup_parts(unit, customer) (SQL/repeatable/35_customer_merge_lookup.sql), which the
-- own-unit reader calls without a unit; the type keeps the view's name and columns.
set local role crm_owner;

-- The readers that return the view's rows go with it; the repeatable file creates them again.
drop view if exists crm.customer_lookup_parts cascade;

create type crm.customer_lookup_parts as (
    tenant_id            uuid,
    id                   bigint,
    phones               text[],
    emails               text[],
    customer             json,
    open_orders          json,
    balance              text,
    sales_last_12_months text,
    last_contacts        json,
    last_quotes          json,
    open_cases           json,
    upcoming_tasks       json,
    tier                 text,
    preferences          jsonb,
    shared_with_unit     boolean
);
comment on type crm.customer_lookup_parts is
    'What customers.lookup shows of a customer, part by part (crm.lookup_parts reads them, crm.lookup_customer builds the answer), and whether any unit shares with the caller''s.';
