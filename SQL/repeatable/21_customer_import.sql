-- `crm import customers FILE`: checks the rows staged in pg_temp.import_stage (line, data jsonb)
-- and inserts the good ones into the caller's unit. Set-based, so 100,000 rows take seconds.
-- Rows matching an existing customer (same email or phone) or an earlier row are rejected as
-- duplicates, never inserted twice.
set local role crm_owner;

create or replace function crm.import_customers() returns table (line int, reason text)
    language plpgsql as $$
declare
    cc text := coalesce((select t.settings->>'default_country_code' from crm.tenant t
                         where t.id = crm.current_tenant()), '49');
begin
    update pg_temp.import_stage s set data = s.data
        || jsonb_build_object('email_n', lower(btrim(s.data->>'email')),
                              'phone_n', crm.normalize_phone(s.data->>'phone', cc));

    update pg_temp.import_stage s set reason = case
        when coalesce(btrim(s.data->>'name'), '') = '' then 'name is required'
        when length(s.data->>'name') > 200 then 'name is longer than 200 characters'
        when s.data ? 'email' and s.data->>'email_n' !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' then 'email is not an email address'
        when s.data ? 'phone' and s.data->>'phone_n' is null then 'phone is not a phone number'
        when s.data ? 'lifecycle_stage' and s.data->>'lifecycle_stage' not in
             ('prospect', 'acquired', 'active', 'retained', 'loyal', 'lapsed') then 'lifecycle_stage is not a known stage'
    end;

    -- Duplicates of an existing customer of the unit: hash joins on each email and phone, so
    -- 100,000 staged rows against a million customers stay a few scans, not a nested loop.
    update pg_temp.import_stage s set reason = 'duplicate of customer ' || e.id
      from (select c.id, unnest(c.emails) as email from crm.customer c
             where c.tenant_id = crm.current_tenant() and c.merged_into is null) e
     where s.reason is null and e.email = s.data->>'email_n';
    update pg_temp.import_stage s set reason = 'duplicate of customer ' || p.id
      from (select c.id, unnest(c.phones) as phone from crm.customer c
             where c.tenant_id = crm.current_tenant() and c.merged_into is null) p
     where s.reason is null and p.phone = s.data->>'phone_n';

    -- Duplicates inside the file: the first occurrence wins.
    update pg_temp.import_stage s set reason = 'duplicate of line ' || d.first_line
      from (select st.line, min(st.line) over (partition by k) as first_line
              from pg_temp.import_stage st,
                   lateral (values (st.data->>'email_n'), (st.data->>'phone_n')) as keys(k)
             where st.reason is null and k is not null) d
     where s.line = d.line and d.first_line < s.line and s.reason is null;

    insert into crm.customer (tenant_id, name, emails, phones, company, branch, segment, address, lifecycle_stage)
    select crm.current_tenant(), btrim(s.data->>'name'),
           coalesce(array_remove(array[s.data->>'email_n'], null), '{}'),
           coalesce(array_remove(array[s.data->>'phone_n'], null), '{}'),
           s.data->>'company', s.data->>'branch', s.data->>'segment',
           nullif(jsonb_strip_nulls(jsonb_build_object('street', s.data->>'street', 'city', s.data->>'city',
                  'postcode', s.data->>'postcode', 'country', s.data->>'country')), '{}'),
           coalesce(s.data->>'lifecycle_stage', 'prospect')
      from pg_temp.import_stage s
     where s.reason is null
     order by s.line;

    return query select s.line, s.reason from pg_temp.import_stage s where s.reason is not null;
end $$;

grant execute on function crm.import_customers() to crm_unit;
