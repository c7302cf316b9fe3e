-- The existing-against-new summary (crm.existing_month_summary, 0058): what each statement that
-- changes the monthly rollup (crm.customer_month_summary) changed in a unit's month and class, as
-- one delta row per unit, month and class: the customers with a sale there (rows with orders > 0),
-- their revenue and cost; the rows it removed or left without a sale counted out, those it made
-- or gave a sale counted in. From the statement's transition tables, so every writer of the
-- rollup is followed whatever it is: orders and their lines (23_rollup_triggers.sql), a status
-- change, an import, a merge (35_customer_merge_lookup.sql), `existing` moved by a back-dated
-- first sale. No row lock is shared between writers: each statement only inserts. A write of one
-- order adds one row (its customer's month), a delta row the scheduled fold
-- (crm.compact_sales_rollups) merges.
set local role crm_owner;

create or replace function crm.existing_month_statement() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        insert into crm.existing_month_summary (tenant_id, month, existing, customers, revenue, cost)
        select n.tenant_id, n.month, n.existing, count(*), sum(n.revenue), sum(n.cost)
          from new_months n where n.orders > 0
         group by 1, 2, 3;
    elsif tg_op = 'DELETE' then
        insert into crm.existing_month_summary (tenant_id, month, existing, customers, revenue, cost)
        select o.tenant_id, o.month, o.existing, -count(*), -sum(o.revenue), -sum(o.cost)
          from old_months o where o.orders > 0
         group by 1, 2, 3;
    else
        insert into crm.existing_month_summary (tenant_id, month, existing, customers, revenue, cost)
        select d.tenant_id, d.month, d.existing, sum(d.customers), sum(d.revenue), sum(d.cost)
          from (select n.tenant_id, n.month, n.existing, 1 as customers, n.revenue, n.cost from new_months n where n.orders > 0
                union all
                select o.tenant_id, o.month, o.existing, -1, -o.revenue, -o.cost from old_months o where o.orders > 0) d
         group by 1, 2, 3
        having sum(d.customers) <> 0 or sum(d.revenue) <> 0 or sum(d.cost) <> 0;
    end if;
    return null;
end $$;
grant execute on function crm.existing_month_statement() to crm_unit;

create or replace trigger existing_month_insert after insert on crm.customer_month_summary
    referencing new table as new_months for each statement execute function crm.existing_month_statement();
create or replace trigger existing_month_update after update on crm.customer_month_summary
    referencing old table as old_months new table as new_months for each statement execute function crm.existing_month_statement();
create or replace trigger existing_month_delete after delete on crm.customer_month_summary
    referencing old table as old_months for each statement execute function crm.existing_month_statement();
