"""The schema's text search dictionaries and configurations, as DDL."""

from __future__ import annotations

from app.engine.catalog.schema_ddl_base import Extraction, own, owner_acl

# -- text search ------------------------------------------------------------------------------------


def write_text_search(x: Extraction) -> None:
    dicts = x.q(
        "SELECT d.oid, d.dictname, pg_catalog.quote_ident(d.dictname), d.dicttemplate, d.dictinitoption,"
        " pg_catalog.pg_get_userbyid(d.dictowner) FROM pg_catalog.pg_ts_dict d WHERE d.dictnamespace = %(nsp)s"
        " AND " + own("pg_ts_dict", "d.oid") + " ORDER BY d.dictname, d.oid"
    )
    templates = x.refs("pg_ts_template", [d[3] for d in dicts])
    for oid, name, qname, template, options, owner in dicts:
        body = f"TEMPLATE = {templates[template].text}" + (f", {options}" if options else "")
        x.add(
            ("pg_ts_dict", oid),
            "text-search-dictionary",
            name,
            [(f"text-search-dictionary {name}", f"CREATE TEXT SEARCH DICTIONARY {qname} ({body})")],
        )
        x.comment_on(("pg_ts_dict", oid, 0), f"TEXT SEARCH DICTIONARY {qname}")
        owner_acl(x, "text-search-dictionary", name, owner, None)
    configs = x.q(
        "SELECT c.oid, c.cfgname, pg_catalog.quote_ident(c.cfgname), c.cfgparser,"
        " pg_catalog.pg_get_userbyid(c.cfgowner) FROM pg_catalog.pg_ts_config c WHERE c.cfgnamespace = %(nsp)s"
        " AND " + own("pg_ts_config", "c.oid") + " ORDER BY c.cfgname, c.oid"
    )
    if not configs:
        return
    maps = x.q(
        "SELECT m.mapcfg, m.maptokentype, pg_catalog.quote_ident(t.alias), m.mapdict"
        " FROM pg_catalog.pg_ts_config_map m JOIN pg_catalog.pg_ts_config c ON c.oid = m.mapcfg"
        " CROSS JOIN LATERAL pg_catalog.ts_token_type(c.cfgparser) t"
        " WHERE m.mapcfg = ANY(%(c)s) AND t.tokid = m.maptokentype ORDER BY m.mapcfg, m.maptokentype, m.mapseqno",
        {"c": [c[0] for c in configs]},
    )
    parsers = x.refs("pg_ts_parser", [c[3] for c in configs])
    dict_refs = x.refs("pg_ts_dict", [m[3] for m in maps])
    tokens: dict[int, dict[tuple[int, str], list[str]]] = {}
    for cfg, tokid, alias, dictionary in maps:
        tokens.setdefault(cfg, {}).setdefault((tokid, alias), []).append(dict_refs[dictionary].text)
    for oid, name, qname, parser, owner in configs:
        blocks = [
            (
                f"text-search-configuration {name}",
                f"CREATE TEXT SEARCH CONFIGURATION {qname} (PARSER = {parsers[parser].text})",
            )
        ]
        by_dicts: dict[tuple[str, ...], list[str]] = {}
        for (_, alias), dictionaries in tokens.get(oid, {}).items():
            by_dicts.setdefault(tuple(dictionaries), []).append(alias)
        for chain, aliases in by_dicts.items():
            blocks.append(
                (
                    f"text-search-configuration {name}",
                    f"ALTER TEXT SEARCH CONFIGURATION {qname} ADD MAPPING FOR {', '.join(aliases)}"
                    f" WITH {', '.join(chain)}",
                )
            )
        x.add(("pg_ts_config", oid), "text-search-configuration", name, blocks)
        x.comment_on(("pg_ts_config", oid, 0), f"TEXT SEARCH CONFIGURATION {qname}")
        owner_acl(x, "text-search-configuration", name, owner, None)
