-- A guest known at every hotel (issue "[5/7] One customer across units"): everything that hangs
-- off a customer another unit shares is readable, read-only, by the units it is shared with, as
-- the customer, its lifecycle, contact details, contacts, orders and order lines already are
-- (0009): invoices and payments (the balance), the sales rollups (monthly and yearly), the tier
-- snapshot, prices quoted, service cases and their history, order status history, the call
-- centre's calls, loyalty tasks and survey answers.
--
-- The same lean shape as 0009: the shared arm is computed once per statement from the shares made
-- to the caller's unit, never by a function per row (SQL/tests/10_lean_policies.sql walks the
-- catalog for that):
--   * `tenant_id = any (array(<units sharing all their customers with the caller>))`: an init plan;
--   * `(tenant_id, customer_id) in (<customers shared one by one>)`: one hashed sub-select.
-- Both read crm.shares_received, the live shares made to the caller's unit: a view that runs as
-- its owner, so that each sub-select does not carry crm.customer_share's own policy with its init
-- plans. A customers.lookup touches seven of these tables: every sub-select is set up with the
-- plan even when it never runs (nothing shared), and the view took that set-up from about 55 to
-- about 30 microseconds a lookup at a million customers.
-- Tables whose rows name the customer only through an order or a case (order status history,
-- case history) take the hashed set of (unit, order) or (unit, case) of the customers shared one
-- by one, read through the orders' and cases' own policies, as order lines do (0009).
-- Tasks and calls may have no customer: those rows (a unit's own errands, unknown callers) hang
-- off nobody and stay unshared.
--
-- Only SELECT policies, for crm_unit and crm_viewer: no write policy names another unit, so a
-- shared row is never written by the unit it is shared with. Partners get nothing (no grant on
-- these tables, no policy for crm_partner). Revoking a share (customer_share.revoked_at) hides
-- the rows at the caller's next statement.
set local role crm_owner;

-- The caller's unit's live received shares (the owner reads every share, 0003; the view keeps to
-- the caller's). No security_invoker: that is its point; it shows a unit what crm.customer_share's
-- own policy shows it of the shares made to it, and nothing else.
create view crm.shares_received as
select s.tenant_id, s.customer_id from crm.customer_share s
 where s.shared_with = (select crm.current_tenant()) and s.revoked_at is null;
comment on view crm.shares_received is 'The live shares made to the caller''s unit: (unit, customer), customer null for all of the unit''s. Read by the shared-read policies of 0049.';
grant select on crm.shares_received to crm_unit, crm_viewer;

do $$
declare
    t record;
begin
    for t in select * from (values
        ('invoice', 'unit users see the invoices of customers shared with them', false),
        ('payment', 'unit users see the payments of customers shared with them', false),
        ('customer_month_summary', 'unit users see the sales rollup of customers shared with them', false),
        ('customer_year_summary', 'unit users see the yearly rollup of customers shared with them', false),
        ('customer_tier_snapshot', 'unit users see the tiers of customers shared with them', false),
        ('quoted_price', 'unit users see the prices quoted to customers shared with them', false),
        ('service_case', 'unit users see the cases of customers shared with them', false),
        ('survey_response', 'unit users see the survey answers of customers shared with them', false),
        ('task', 'unit users see the tasks for customers shared with them', true),
        ('call_record', 'unit users see the calls of customers shared with them', true)
    ) as v(tab, policy, customer_optional) loop
        execute format($f$create policy %I on crm.%I for select to crm_unit, crm_viewer
            using ((tenant_id = any (array(select s.tenant_id from crm.shares_received s where s.customer_id is null))%s)
                   or (tenant_id, customer_id) in (select s.tenant_id, s.customer_id from crm.shares_received s
                                                    where s.customer_id is not null))$f$,
            t.policy, t.tab, case when t.customer_optional then ' and customer_id is not null' else '' end);
    end loop;
end $$;

-- Order status history: the orders of a unit that shares all its customers, or of customers
-- shared one by one (a unit never shares with itself, so its own rows never reach this arm).
create policy "unit users see the status history of shared orders" on crm.order_status_history
    for select to crm_unit, crm_viewer
    using (tenant_id = any (array(select s.tenant_id from crm.shares_received s where s.customer_id is null))
           or (tenant_id, order_id) in (select o.tenant_id, o.id
                                          from crm.shares_received s
                                          join crm.sales_order o on o.tenant_id = s.tenant_id and o.customer_id = s.customer_id
                                         where s.customer_id is not null));

-- Case history: likewise through the cases of customers shared one by one.
create policy "unit users see the history of shared customers' cases" on crm.case_status_history
    for select to crm_unit, crm_viewer
    using (tenant_id = any (array(select s.tenant_id from crm.shares_received s where s.customer_id is null))
           or (tenant_id, case_id) in (select k.tenant_id, k.id
                                         from crm.shares_received s
                                         join crm.service_case k on k.tenant_id = s.tenant_id and k.customer_id = s.customer_id
                                        where s.customer_id is not null));

-- The case-history arm finds the cases of each customer shared one by one; a customer's cases had
-- only an index of the open ones.
create index service_case_customer on crm.service_case (tenant_id, customer_id);
