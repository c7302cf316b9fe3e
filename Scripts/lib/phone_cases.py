"""Generates a pgTAP file of phone-number cases for crm.normalize_phone, with the Python
`phonenumbers` package (Google's libphonenumber) as the oracle. Run by Scripts/test through
Scripts/lib/phone_oracle.sh (a venv under .build/oracle-venv); prints the SQL on stdout.

For each country of crm.phone_numbering (COUNTRY_CODES of phone_numbering_rows.py) it takes a few
numbers (libphonenumber's example numbers of several types and variants of them) and writes each
one the ways people do:
  * in a unit of that country: national format, national digits with dashes, dots, slashes or
    parentheses, with the national prefix where the country has one, international format, E.164,
    the country's own international call prefix before the code, with an extension (x, ext.,
    ;ext=, #);
  * in units of other countries: international format, and the way that country dials abroad
    (011 44 20... from the NANP, 810 49... from Russia, 00 1... from Germany).
Each case's expectation is what phonenumbers.parse gives under the unit's region, in E.164; a
writing phonenumbers refuses is not a case."""
import os
import sys

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from phone_numbering_rows import COUNTRY_CODES  # noqa: E402

TYPES = [PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.TOLL_FREE,
         PhoneNumberType.FIXED_LINE_OR_MOBILE, PhoneNumberType.VOIP]
# Units of these countries also write every country's numbers (as dialled from there).
ABROAD_HOMES = [1, 7, 33, 39, 44, 49, 61, 81]


def sql(s):
    return "'" + s.replace("'", "''") + "'"


def numbers_of(region):
    """A few valid numbers of the region: example numbers and variants with other last digits."""
    seen, out = set(), []
    for t in TYPES:
        ex = phonenumbers.example_number_for_type(region, t)
        if ex is None:
            continue
        for tail in (None, "17", "90"):
            n = phonenumbers.PhoneNumber()
            n.merge_from(ex)
            if tail is not None:
                nsn = phonenumbers.national_significant_number(ex)
                if len(nsn) < 4:
                    continue
                try:
                    n = phonenumbers.parse("+%d%s" % (ex.country_code, nsn[:-2] + tail), None)
                except phonenumbers.NumberParseException:
                    continue
                if not phonenumbers.is_valid_number(n):
                    continue
            key = phonenumbers.format_number(n, PhoneNumberFormat.E164)
            if key not in seen:
                seen.add(key)
                out.append(n)
    return out[:6]


def writings_at_home(n, region):
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    national = phonenumbers.format_number(n, PhoneNumberFormat.NATIONAL)
    intl = phonenumbers.format_number(n, PhoneNumberFormat.INTERNATIONAL)
    e164 = phonenumbers.format_number(n, PhoneNumberFormat.E164)
    nsn = phonenumbers.national_significant_number(n)
    out = [("national", national), ("national, dashes", national.replace(" ", "-")),
           ("national, dots", national.replace(" ", ".")), ("national, no spaces", national.replace(" ", "")),
           ("international", intl), ("E.164", e164), ("international, dashes", intl.replace(" ", "-"))]
    if len(nsn) > 6:
        out.append(("parentheses", "(%s) %s" % (nsn[:3], nsn[3:])))
        out.append(("slash", "%s/%s" % (nsn[:3], nsn[3:])))
    if meta.national_prefix:
        out.append(("national prefix, digits", meta.national_prefix + nsn))
        out.append(("+code (national prefix)", "+%d (%s) %s" % (n.country_code, meta.national_prefix, nsn)))
    idd = meta.preferred_international_prefix or meta.international_prefix
    if idd and idd.isdigit():
        out.append(("own international prefix", "%s %d %s" % (idd, n.country_code, nsn)))
    out.append(("code without +", "%d%s" % (n.country_code, nsn)))
    out.append(("extension x", national + " x12"))
    out.append(("extension ext.", intl + " ext. 345"))
    out.append(("extension ;ext=", e164 + ";ext=7"))
    out.append(("extension #", national + " #89"))
    return out


def main():
    cases = []
    regions = {cc: phonenumbers.region_code_for_country_code(cc) for cc in COUNTRY_CODES}
    for cc in COUNTRY_CODES:
        region = regions[cc]
        for n in numbers_of(region):
            writings = [(cc, how, w) for how, w in writings_at_home(n, region)]
            for home in ABROAD_HOMES:
                if home == cc:
                    continue
                writings.append((home, "international", phonenumbers.format_number(n, PhoneNumberFormat.INTERNATIONAL)))
                dialled = phonenumbers.format_out_of_country_calling_number(n, regions[home])
                writings.append((home, "dialled from " + regions[home], dialled))
            for home, how, written in writings:
                try:
                    parsed = phonenumbers.parse(written, regions[home])
                except phonenumbers.NumberParseException:
                    continue
                expected = phonenumbers.format_number(parsed, PhoneNumberFormat.E164)
                cases.append((home, written, expected, "%s number, %s, in a unit of +%d" % (region, how, home)))
    # One assertion per distinct (unit, writing).
    unique = {}
    for home, written, expected, name in cases:
        unique.setdefault((home, written), (expected, name))
    print("-- Generated by Scripts/lib/phone_cases.py with phonenumbers %s; do not edit." % phonenumbers.__version__)
    print("begin;")
    print("select plan(%d);" % (len(unique) + 1))
    # The cases cover every country of the table: a row added without its cases fails here.
    codes = sorted(str(cc) for cc in COUNTRY_CODES)
    print("select is(array(select country_code from crm.phone_numbering order by 1), array[%s]::text[], %s);" % (
        ", ".join(sql(c) for c in codes), sql("the oracle's countries are the table's (COUNTRY_CODES of phone_numbering_rows.py)")))
    for (home, written), (expected, name) in unique.items():
        print("select is(crm.normalize_phone(%s, %s), %s, %s);" % (
            sql(written), sql(str(home)), sql(expected), sql(name + ": " + written)))
    print("select * from finish();")
    print("rollback;")


if __name__ == "__main__":
    main()
