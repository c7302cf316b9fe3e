-- crm.customer's GIN indexes on emails and phones (0004) serve no query: under row-level
-- security array containment is not leakproof, so no index could be used ahead of a policy, and
-- every lookup and duplicate check goes through crm.customer_contact since 0016. They only cost
-- every write of a customer (issue 15: the customer import's insert).
set local role crm_owner;

drop index crm.customer_phones;
drop index crm.customer_emails;
