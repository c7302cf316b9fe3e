-- One lower-cased text of a customer's name, emails and phones, trigram-indexed, so a search by any
-- fragment of them is one index scan even at a million customers.
set local role crm_owner;

-- array_to_string is only STABLE in general; over text[] it is immutable, which a generated column
-- needs. Declared here, over text[] only.
create function crm.join_text(p text[]) returns text
    language sql immutable parallel safe
    return coalesce(array_to_string(p, ' '), '');

alter table crm.customer
    add column search_text text generated always as
        (lower(name) || ' ' || crm.join_text(emails) || ' ' || crm.join_text(phones)) stored;

create index customer_search_trgm on crm.customer using gin (search_text gin_trgm_ops);
