-- Issue "[5/7] One customer across units ...", the parts of privacy, goals and tier service:
--
--   * goals measure churn, retention and margin rate as well (report.goal_progress defines each);
--   * a customer can be erased (customers.erase, crm.erase_customer in
--     SQL/repeatable/46_customer_privacy.sql): crm.customer.erased_at marks it, and the erasure
--     pseudonymises the free text of its contacts, cases, tasks, survey answers, call records,
--     leads and partner deals, and blanks the detail of the audit entries about it; the unit role
--     gets exactly the column privileges that takes, and audit entries stay append-only otherwise
--     (the one change a unit may make to one is to blank it, after the customer was erased);
--   * an order remembers the tier service applied to it (SQL/repeatable/47_tier_service.sql):
--     the customer's tier, the discount percent, the discount amount and the delivery promise.
set local role crm_owner;

-- Tables and columns.
alter table crm.goal drop constraint goal_metric_check;
alter table crm.goal add constraint goal_metric_check check (metric in ('revenue', 'gross_margin', 'orders', 'new_customers',
    'contacts', 'nps', 'churn_rate', 'retention_rate', 'margin_rate'));

alter table crm.customer add column erased_at timestamptz;
comment on column crm.customer.erased_at is 'When the customer''s personal data was erased (customers.erase); null while it is kept. Irreversible.';

alter table crm.sales_order add column service_tier text,
                            add column discount_percent numeric(5,2) check (discount_percent between 0 and 100),
                            add column discount_amount numeric(14,2),
                            add column delivery_days int check (delivery_days >= 0);
comment on column crm.sales_order.service_tier is 'The customer''s tier (this year''s crm.customer_tier_snapshot) when the unit''s tier_service setting gave the order a discount or a delivery promise; null otherwise.';
comment on column crm.sales_order.discount_percent is 'The tier''s discount taken off the list price of each line without a price of its own (settings tier_service.<tier>.discount_percent).';
comment on column crm.sales_order.discount_amount is 'What the tier discount took off the order: sum of quantity x (list price - unit price) over the discounted lines.';
comment on column crm.sales_order.delivery_days is 'The tier''s delivery promise in days from the order (settings tier_service.<tier>.delivery_days).';

-- What an erasure writes, as the unit role (crm.erase_customer is security invoker).
grant update (summary, outcome) on crm.interaction to crm_unit;
grant update (phone) on crm.call_record to crm_unit;
grant update (note) on crm.case_status_history to crm_unit;
grant update (comment) on crm.survey_response to crm_unit;
grant update (name, email, phone, company) on crm.lead to crm_unit;
grant update (prospect_name, prospect_email, prospect_phone, prospect_company, note) on crm.deal to crm_unit;
grant update (detail) on crm.audit_log to crm_unit;

-- Policies.
create policy "unit managers and directors blank their own case notes of an erased customer" on crm.case_status_history
    for update to crm_unit
    using (tenant_id = (select crm.current_tenant()) and (select current_setting('crm.app_role', true)) in ('manager', 'director'))
    with check (tenant_id = (select crm.current_tenant()) and note is null);
create policy "unit managers and directors blank their own audit entries about an erased customer" on crm.audit_log
    for update to crm_unit
    using (tenant_id = (select crm.current_tenant()) and entity = 'customer'
           and (select current_setting('crm.app_role', true)) in ('manager', 'director'))
    with check (tenant_id = (select crm.current_tenant()) and entity = 'customer' and detail = '{"erased": true}'::jsonb);
