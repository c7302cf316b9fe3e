-- Folds the delta rows of the product-month and daily sales rollups (0030), of the channel
-- summary (0054), of the existing-against-new summaries (0058 by month, 0061 by year), of the
-- lifecycle summary (0058) and of the customers' contacts per channel (0060) into one row per key, for the caller's unit. Only days and months
-- holding more rows than keys are rewritten. Sales committed meanwhile add rows the fold does not
-- see; they are folded next time, and every sum stays right in between. Returns the number of rows
-- removed. The server runs it every minute (CRM_FOLD_INTERVAL_S, DeltaFoldService): the reports
-- that add the deltas read about as many as a minute of writes leaves.
set local role crm_owner;

create or replace function crm.fold_rollup_deltas() returns int language plpgsql as $$
declare
    v_tenant uuid := crm.current_tenant();
    n int;
    total int := 0;
begin
    with busy as (
        select d.day from crm.sales_day_summary d where d.tenant_id = v_tenant
         group by d.day
        having count(*) > count(distinct (coalesce(d.staff_id, -1), coalesce(d.campaign_id, -1),
                                          coalesce(d.partner_id, '00000000-0000-0000-0000-000000000000'::uuid)))),
    gone as (
        delete from crm.sales_day_summary d using busy b
         where d.tenant_id = v_tenant and d.day = b.day
        returning d.*),
    folded as (
        insert into crm.sales_day_summary (tenant_id, day, staff_id, campaign_id, partner_id, orders, units, revenue, cost)
        select g.tenant_id, g.day, g.staff_id, g.campaign_id, g.partner_id, sum(g.orders), sum(g.units), sum(g.revenue), sum(g.cost)
          from gone g group by g.tenant_id, g.day, g.staff_id, g.campaign_id, g.partner_id
        returning 1)
    select (select count(*) from gone) - (select count(*) from folded) into n;
    total := total + n;

    with busy as (
        select m.month from crm.product_month_summary m where m.tenant_id = v_tenant
         group by m.month
        having count(*) > count(distinct (m.product_id, coalesce(m.staff_id, -1)))),
    gone as (
        delete from crm.product_month_summary m using busy b
         where m.tenant_id = v_tenant and m.month = b.month
        returning m.*),
    folded as (
        insert into crm.product_month_summary (tenant_id, month, product_id, staff_id, units, revenue, cost)
        select g.tenant_id, g.month, g.product_id, g.staff_id, sum(g.units), sum(g.revenue), sum(g.cost)
          from gone g group by g.tenant_id, g.month, g.product_id, g.staff_id
        returning 1)
    select (select count(*) from gone) - (select count(*) from folded) into n;
    total := total + n;

    -- The channel summary (0054): one row per month and channel.
    with busy as (
        select c.month from crm.channel_month_summary c where c.tenant_id = v_tenant
         group by c.month
        having count(*) > count(distinct c.channel)),
    gone as (
        delete from crm.channel_month_summary c using busy b
         where c.tenant_id = v_tenant and c.month = b.month
        returning c.*),
    folded as (
        insert into crm.channel_month_summary (tenant_id, month, channel, contacts, cost, customers_reached, conversions, gross_margin)
        select g.tenant_id, g.month, g.channel, sum(g.contacts), sum(g.cost), sum(g.customers_reached), sum(g.conversions),
               sum(g.gross_margin)
          from gone g group by g.tenant_id, g.month, g.channel
        returning 1)
    select (select count(*) from gone) - (select count(*) from folded) into n;
    total := total + n;

    -- The existing-against-new summary (0058): one row per month and class.
    with busy as (
        select e.month from crm.existing_month_summary e where e.tenant_id = v_tenant
         group by e.month
        having count(*) > count(distinct e.existing)),
    gone as (
        delete from crm.existing_month_summary e using busy b
         where e.tenant_id = v_tenant and e.month = b.month
        returning e.*),
    folded as (
        insert into crm.existing_month_summary (tenant_id, month, existing, customers, revenue, cost)
        select g.tenant_id, g.month, g.existing, sum(g.customers), sum(g.revenue), sum(g.cost)
          from gone g group by g.tenant_id, g.month, g.existing
        returning 1)
    select (select count(*) from gone) - (select count(*) from folded) into n;
    total := total + n;

    -- The yearly one (0061): one row per year and class.
    with busy as (
        select e.year from crm.existing_year_summary e where e.tenant_id = v_tenant
         group by e.year
        having count(*) > count(distinct e.existing)),
    gone as (
        delete from crm.existing_year_summary e using busy b
         where e.tenant_id = v_tenant and e.year = b.year
        returning e.*),
    folded as (
        insert into crm.existing_year_summary (tenant_id, year, existing, customers, revenue, cost)
        select g.tenant_id, g.year, g.existing, sum(g.customers), sum(g.revenue), sum(g.cost)
          from gone g group by g.tenant_id, g.year, g.existing
        returning 1)
    select (select count(*) from gone) - (select count(*) from folded) into n;
    total := total + n;

    -- The lifecycle and capture summary (0058): one row per stage and phase (a few rows: all at once).
    with gone as (
        delete from crm.customer_stage_summary k
         where k.tenant_id = v_tenant
           and (select count(*) from crm.customer_stage_summary x where x.tenant_id = v_tenant)
             > (select count(distinct (x.lifecycle_stage, x.capture_phase)) from crm.customer_stage_summary x where x.tenant_id = v_tenant)
        returning k.*),
    folded as (
        insert into crm.customer_stage_summary (tenant_id, lifecycle_stage, capture_phase, customers)
        select g.tenant_id, g.lifecycle_stage, g.capture_phase, sum(g.customers)
          from gone g group by g.tenant_id, g.lifecycle_stage, g.capture_phase
        having sum(g.customers) <> 0
        returning 1)
    select (select count(*) from gone) - (select count(*) from folded) into n;
    -- The customers' contacts per channel (0060, 38_customer_value_summary.sql).
    return total + n + crm.fold_customer_channels();
end $$;

comment on function crm.fold_rollup_deltas() is 'Folds the caller''s unit''s rollup deltas (sales, channels, existing against new, lifecycle stages, contacts per channel) into one row per key (the server every minute, and the scheduled job); returns the rows removed.';

-- The scheduled job's pass: the folds, and the customer value summary's 12-month figures (0060),
-- which move with the calendar (not counted: nothing is folded).
create or replace function crm.compact_sales_rollups() returns int language plpgsql as $$
declare
    n int := crm.fold_rollup_deltas();
begin
    perform crm.refresh_customer_value();
    return n;
end $$;

comment on function crm.compact_sales_rollups() is 'Folds the caller''s unit''s rollup deltas into one row per day/month and key and refreshes the customer value summary''s 12-month figures (the scheduled job runs it); returns the rows removed.';
revoke execute on function crm.fold_rollup_deltas(), crm.compact_sales_rollups() from public;
grant execute on function crm.fold_rollup_deltas(), crm.compact_sales_rollups() to crm_unit;
