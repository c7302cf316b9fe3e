-- No function of the project is executable by PUBLIC (issue 14). PostgreSQL grants EXECUTE to
-- PUBLIC on every new function unless default privileges say otherwise; 0001_baseline_roles_schemas.sql sets them for the
-- roles that create the project's functions, and this file, applied last on every migrate,
-- revokes PUBLIC's EXECUTE from every function in the project's schemas whoever created it (a
-- function a migration made as the superuser, or one `create or replace` gave back its old ACL).
-- Extensions' functions (pg_trgm, pgTAP) are theirs and are left alone. Each role is granted
-- what it calls in the file that defines the function; SQL/tests/06_least_privilege.sql
-- checks that no function is executable by PUBLIC and that every role can execute the functions
-- its policies, views and functions call.
-- Runs as the migrating role (a superuser): the narrow roles' functions are theirs, not crm_owner's.
do $$
declare
    f regprocedure;
begin
    for f in
        select p.oid::regprocedure
          from pg_proc p join pg_namespace n on n.oid = p.pronamespace
         where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') and n.nspname !~ '^pg_'
           and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
           and (p.proacl is null
                or exists (select 1 from aclexplode(p.proacl) a where a.grantee = 0 and a.privilege_type = 'EXECUTE'))
    loop
        execute format('revoke execute on %s %s from public',
                       case (select prokind from pg_proc where oid = f) when 'p' then 'procedure' else 'function' end, f);
    end loop;
end $$;
