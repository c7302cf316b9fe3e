-- The standard policies of a unit table, in one place: unit users read and add their own unit's
-- rows (and change them where the table allows it); reporters read every unit, or the unit they
-- chose with SET crm.tenant. Tables with other rules (sharing, partners) add their own policies.
set local role crm_owner;

create function crm.add_unit_policies(p_table regclass, p_label text, p_updatable boolean default false)
    returns void language plpgsql as $$
begin
    execute format('alter table %s enable row level security', p_table);
    execute format('alter table %s force row level security', p_table);
    execute format('create policy %I on %s for select to crm_unit using (tenant_id = (select crm.current_tenant()))',
                   'unit users see their own ' || p_label, p_table);
    execute format('create policy %I on %s for insert to crm_unit with check (tenant_id = (select crm.current_tenant()))',
                   'unit users add ' || p_label || ' to their own unit', p_table);
    if p_updatable then
        execute format('create policy %I on %s for update to crm_unit using (tenant_id = (select crm.current_tenant())) '
                       'with check (tenant_id = (select crm.current_tenant()))', 'unit users change their own ' || p_label, p_table);
    end if;
    execute format('create policy %I on %s for select to crm_reporter '
                   'using ((select crm.current_tenant()) is null or tenant_id = (select crm.current_tenant()))',
                   'reporters see every unit''s ' || p_label || ', or the unit they chose', p_table);
end $$;

comment on function crm.add_unit_policies(regclass, text, boolean) is
    'Enables and forces row-level security on a unit table and creates the standard policies: unit users read and add (and, if updatable, change) their own unit''s rows; reporters read every unit or the chosen one.';
revoke execute on function crm.add_unit_policies(regclass, text, boolean) from public;
