-- Turns a migrated single-node crm database into a distributed one. Run on the Citus coordinator,
-- as a superuser, once, after `crm migrate` and before the load (see README.md).
-- Global tables are reference tables (a copy on every node); every unit table is distributed by
-- tenant_id and co-located with crm.tenant's units, so a request of one unit runs on one node.
begin;

-- Reference tables: global, small, read everywhere.
select create_reference_table('crm.tenant');
select create_reference_table('crm.partner');
select create_reference_table('crm.principal');
select create_reference_table('crm.api_key');
select create_reference_table('crm.admin_audit_log');
select create_reference_table('crm.reference_table');

-- Unit tables, distributed by tenant_id and co-located (joins and foreign keys stay on one node).
select create_distributed_table('crm.customer', 'tenant_id');
select create_distributed_table('crm.customer_lifecycle_history', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.customer_share', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.partner_grant', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.audit_log', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.staff', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.product', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.commission_rate', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.campaign', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.campaign_product', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.campaign_member', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.campaign_asset', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.campaign_approval', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.campaign_cost', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.lead', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.partner_price', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.lead_offer', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.sales_order', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.order_line', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.order_status_history', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.invoice', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.payment', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.deal', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.deal_product', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.customer_month_summary', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.customer_year_summary', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.product_month_summary', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.sales_day_summary', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.goal', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.interaction', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.quoted_price', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.call_record', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.service_case', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.case_status_history', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.task', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.survey_response', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.customer_tier_snapshot', 'tenant_id', colocate_with => 'crm.customer');
select create_distributed_table('crm.customer_contact', 'tenant_id', colocate_with => 'crm.customer');

-- Every table of later areas follows the same rule; this check fails the transaction when one was
-- forgotten, so the list above cannot silently fall behind the schema.
do $$
declare
    missing text;
begin
    select string_agg(c.oid::regclass::text, ', ') into missing
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'crm' and c.relkind = 'r'
       and c.oid not in (select logicalrelid from pg_dist_partition);
    if missing is not null then
        raise exception 'not yet distributed: % (add them to distribute.sql)', missing;
    end if;
end $$;

commit;
