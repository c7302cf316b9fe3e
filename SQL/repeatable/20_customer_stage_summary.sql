-- The lifecycle and capture summary (crm.customer_stage_summary, 0058): what each statement that
-- writes crm.customer changed in a unit's count of customers (not merged into another) per
-- lifecycle stage and data capture phase (crm.customer_capture_phase), as one delta row per unit,
-- stage and phase: the rows it removed or merged away counted out, those it made counted in, an
-- update counted out as it was and in as it is (nothing when neither stage nor phase moved). From
-- the statement's transition tables, so every writer is followed: customers.create and .update,
-- imports, merges, erasure, a phone renumbering. Each statement only inserts (no row shared
-- between writers); the scheduled fold (crm.compact_sales_rollups) merges the delta rows.
-- Orders and contacts do not write crm.customer: their paths pay nothing for it.
set local role crm_owner;

create or replace function crm.customer_stage_statement() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        insert into crm.customer_stage_summary (tenant_id, lifecycle_stage, capture_phase, customers)
        select n.tenant_id, n.lifecycle_stage, crm.customer_capture_phase(n::crm.customer), count(*)
          from new_customers n where n.merged_into is null
         group by 1, 2, 3;
    elsif tg_op = 'DELETE' then
        insert into crm.customer_stage_summary (tenant_id, lifecycle_stage, capture_phase, customers)
        select o.tenant_id, o.lifecycle_stage, crm.customer_capture_phase(o::crm.customer), -count(*)
          from old_customers o where o.merged_into is null
         group by 1, 2, 3;
    else
        insert into crm.customer_stage_summary (tenant_id, lifecycle_stage, capture_phase, customers)
        select d.tenant_id, d.lifecycle_stage, d.capture_phase, sum(d.customers)
          from (select n.tenant_id, n.lifecycle_stage, crm.customer_capture_phase(n::crm.customer) as capture_phase, 1 as customers
                  from new_customers n where n.merged_into is null
                union all
                select o.tenant_id, o.lifecycle_stage, crm.customer_capture_phase(o::crm.customer), -1
                  from old_customers o where o.merged_into is null) d
         group by 1, 2, 3
        having sum(d.customers) <> 0;
    end if;
    return null;
end $$;
grant execute on function crm.customer_stage_statement() to crm_unit;

create or replace trigger customer_stage_insert after insert on crm.customer
    referencing new table as new_customers for each statement execute function crm.customer_stage_statement();
create or replace trigger customer_stage_update after update on crm.customer
    referencing old table as old_customers new table as new_customers for each statement execute function crm.customer_stage_statement();
create or replace trigger customer_stage_delete after delete on crm.customer
    referencing old table as old_customers for each statement execute function crm.customer_stage_statement();
