-- Demo: staff and customers for the three demo units, written through the same functions the
-- API uses, under the unprivileged unit role. Run by `crm demo` after it created the units.
-- Two hotels of one chain share their guests (sharing on purpose); the pool-supply unit does not.
do $$
declare
    unit text;
    first_names text[] := array['Anna','Ben','Clara','David','Eva','Felix','Greta','Hannes','Ida','Jonas',
                                'Klara','Lukas','Mia','Noah','Olga','Paul','Rosa','Simon','Tara','Umut'];
    last_names text[] := array['Schmidt','Meyer','Weber','Wagner','Becker','Hoffmann','Koch','Richter',
                               'Klein','Wolf','Neumann','Schwarz','Braun','Zimmermann','Hartmann'];
    i int;
    fn text;
    ln text;
begin
    foreach unit in array array['hotel-berlin', 'hotel-munich', 'coolpool'] loop
        perform set_config('role', 'crm_unit', true);
        perform set_config('crm.tenant', unit, true);
        insert into crm.staff (tenant_id, name, email, team, region)
        select crm.current_tenant(), s.name, s.email, s.team, s.region
          from (values ('Marta Keller', 'marta@' || unit || '.example', 'sales', 'north'),
                       ('Jan Vogel', 'jan@' || unit || '.example', 'sales', 'south'),
                       ('Lea Brandt', 'lea@' || unit || '.example', 'call centre', 'north'),
                       ('Tom Fischer', 'tom@' || unit || '.example', 'service', 'south')) as s(name, email, team, region);
        for i in 1..40 loop
            fn := first_names[1 + (i * 7 + length(unit)) % array_length(first_names, 1)];
            ln := last_names[1 + (i * 11 + length(unit) * 3) % array_length(last_names, 1)];
            perform crm.create_customer(jsonb_build_object(
                'name', fn || ' ' || ln,
                'emails', jsonb_build_array(lower(fn || '.' || ln || i || '@' || unit || '.example')),
                'phones', jsonb_build_array(format('030 %s', 5550000 + i * 37 + length(unit) * 1000)),
                'address', case when i % 4 <> 0 then jsonb_build_object('street', 'Hauptstr. ' || i,
                            'city', case when unit = 'hotel-munich' then 'München' else 'Berlin' end,
                            'postcode', (10000 + i * 13)::text, 'country', 'DE') end,
                'company', case when i % 5 = 0 then ln || ' GmbH' end,
                'branch', unit,
                'segment', (array['private', 'business', 'vip'])[1 + i % 3],
                'consent', jsonb_build_object('phone', i % 6 <> 0, 'email', true, 'mail', i % 2 = 0, 'visit', i % 3 = 0),
                'preferences', case when i % 3 <> 0 then
                    (array['{"room": "quiet, high floor", "pillow": "firm"}',
                           '{"seat": "window", "hobbies": ["golf", "wine"]}',
                           '{"pool": "above ground, 5 m", "chemicals": "chlorine-free"}'])[1 + i % 3]::jsonb end,
                'lifecycle_stage', (array['prospect', 'acquired', 'active', 'retained', 'loyal', 'lapsed'])[1 + i % 6]));
        end loop;
    end loop;
    -- The chain's two hotels share every guest with each other, read-only.
    perform set_config('crm.tenant', 'hotel-berlin', true);
    perform crm.share_all_customers('hotel-munich');
    perform set_config('crm.tenant', 'hotel-munich', true);
    perform crm.share_all_customers('hotel-berlin');
end $$;
