"""Which live table each model of a dumpdata export fills, and what happens to the tables it does not name.

Django names a model's table `app_label_modelname` (cut to 63 characters with a hash, as Django cuts it)
unless the model sets `db_table`; a model the tenant knows (it has a row in `django_content_type`) but
whose default table is missing is looked for among the tables no other model claims, by its columns. A
foreign key field `f` is column `f_id`; a many-to-many field `f` fills the table `<model table>_f`, whose
two foreign keys say which column is which.

The export replaces the tenant's data: a table of a model the file holds gets exactly the file's rows; a
table of a model the tenant knows but the file does not hold is emptied (the export had none of it, or
left it out: the preview shows it), except content types and permissions, which `migrate` makes rather
than people, and which keep their live rows; tables Django does not know as models (`django_migrations`,
tables of raw SQL) keep their live rows, unless they point at an emptied table.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from app.engine.dumpdata.layout import Layout, Table
from app.engine.dumpdata.reader import DumpScan
from app.engine.errors import PreflightError

FILE, M2M, EMPTY, LIVE = "file", "m2m", "empty", "live"
KEPT_WHEN_ABSENT = frozenset({"contenttypes.contenttype", "auth.permission"})  # made by migrate
# Django's own models that set db_table.
DJANGO_TABLES = {
    "contenttypes.contenttype": "django_content_type",
    "sessions.session": "django_session",
    "admin.logentry": "django_admin_log",
    "sites.site": "django_site",
    "redirects.redirect": "django_redirect",
    "flatpages.flatpage": "django_flatpage",
}
MAX_NAME = 63  # PostgreSQL's identifier length, Django's max_name_length()


def django_table_name(name: str) -> str:
    """Django's `truncate_name(name, 63)`: a long name keeps 59 characters and 4 of its MD5."""
    if len(name) <= MAX_NAME:
        return name
    return name[: MAX_NAME - 4] + hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()[:4]


def default_table(model: str) -> str:
    """The table Django gives `app_label.model_name` unless the model says otherwise."""
    return DJANGO_TABLES.get(model) or django_table_name(model.replace(".", "_", 1))


@dataclass(frozen=True)
class Through:
    table: str
    source: str  # the column pointing at the model's row
    target: str  # the column pointing at the related row
    target_table: str | None  # the tenant's table `target` points at (natural keys resolve there)


@dataclass(frozen=True)
class FieldPlan:
    name: str
    column: str | None  # None for a many-to-many field
    fk_table: str | None = None  # the tenant's table a foreign key column points at
    through: Through | None = None


@dataclass
class ModelPlan:
    model: str
    table: str
    pk: str
    fields: dict[str, FieldPlan]

    @property
    def columns(self) -> list[str]:
        """The COPY column list: the primary key, then the fields' columns."""
        return [self.pk, *(f.column for f in self.fields.values() if f.column is not None)]


@dataclass
class DumpPlan:
    schema: str
    models: dict[str, ModelPlan]  # the file's models that fill a table of the tenant
    actions: dict[str, str]  # every table of the tenant: FILE, M2M, EMPTY or LIVE
    rows: dict[str, int | None]  # rows each table gets from the file; None: kept as it is
    warnings: list[str] = field(default_factory=list)  # e.g. models of the shared schema, left alone


def plan_dump(scan: DumpScan, layout: Layout) -> DumpPlan:
    """Map the export onto the tenant, or PreflightError naming the first model or field that does not fit."""
    name, schema = scan.path.name, layout.schema
    if not scan.models:
        raise PreflightError(f"{name} is an empty dumpdata export (no objects): restoring it would empty the clinic.")
    if not layout.tables:
        raise PreflightError(
            f"Tenant {schema!r} has no tables: a dumpdata export holds rows only, and fills the "
            "tables of an existing clinic; create the clinic's schema first (migrate_schemas)."
        )
    claimed: dict[str, str] = {}
    tables: dict[str, str] = {}
    shared: list[str] = []
    unknown: list[str] = []
    known_defaults = {default_table(f"{a}.{m}"): f"{a}.{m}" for a, m in (layout.content_types or set())}
    for model in scan.models:
        default = default_table(model)
        if default in layout.tables:
            tables[model] = default
        elif default in layout.shared_tables:
            shared.append(model)
        elif layout.content_types is not None and tuple(model.split(".", 1)) in layout.content_types:
            tables[model] = _overridden_table(scan, model, layout, set(known_defaults))
        else:
            unknown.append(model)
    if not set(tables) - KEPT_WHEN_ABSENT:  # content types alone are in every Django export, the shared one too
        _refuse_foreign(name, schema, shared, unknown + list(tables))
    if unknown:
        more = f" (and {len(unknown) - 1} more models)" if len(unknown) > 1 else ""
        raise PreflightError(
            f"{name} holds objects of {unknown[0]}{more}, which tenant {schema!r} has no table for: "
            "the file comes from another version of the application (migrate the tenant to it "
            "first) or from another application."
        )
    models = {m: _model_plan(scan, m, t, layout, name) for m, t in tables.items()}
    actions: dict[str, str] = {}
    rows: dict[str, int | None] = {}
    for model, plan in models.items():
        if plan.table in claimed:
            raise PreflightError(
                f"{name}: the models {claimed[plan.table]} and {model} both map to table "
                f"{plan.table} of tenant {schema!r}."
            )
        claimed[plan.table] = model
        actions[plan.table] = FILE
        rows[plan.table] = scan.models[model].objects
        for f in plan.fields.values():
            if f.through is not None:
                actions[f.through.table] = M2M
                rows[f.through.table] = scan.models[model].list_items.get(f.name, 0)
    for table in layout.tables:
        if table in actions:
            continue
        label = known_defaults.get(table)
        actions[table] = EMPTY if label is not None and label not in KEPT_WHEN_ABSENT else LIVE
    _empty_what_points_at_emptied(layout, actions, {t for t, m in known_defaults.items() if m in KEPT_WHEN_ABSENT})
    for table, action in actions.items():
        rows.setdefault(table, 0 if action == EMPTY else None)
    warnings = (
        [
            f"The file's {', '.join(shared)} objects belong to the shared schema public, which a restore "
            "never changes; they were left out."
        ]
        if shared
        else []
    )
    return DumpPlan(schema, models, dict(sorted(actions.items())), rows, warnings)


def _refuse_foreign(name: str, schema: str, shared: list[str], unknown: list[str]) -> None:
    listed = ", ".join((shared + unknown)[:4]) + (", ..." if len(shared) + len(unknown) > 4 else "")
    if shared:
        raise PreflightError(
            f"{name} is a dumpdata export of the shared schema public ({listed}), not of a clinic: "
            f"export the clinic with `manage.py tenant_command dumpdata --schema {schema}`."
        )
    raise PreflightError(
        f"{name} is a dumpdata export of another application: its models ({listed}) are not those of tenant {schema!r}."
    )


def _overridden_table(scan: DumpScan, model: str, layout: Layout, defaults: set[str]) -> str:
    """A model with `db_table`: the one table no other model claims whose columns take every field."""
    fields = scan.models[model].fields
    candidates = [
        t
        for t in layout.tables.values()
        if t.name not in defaults
        and t.name != "django_migrations"
        and all(_resolve(f, t, layout) is not None for f in fields)
    ]
    candidates = [t for t in candidates if not _is_through_of_another(t, layout)]
    if len(candidates) == 1:
        return candidates[0].name
    name, schema = scan.path.name, layout.schema
    if not candidates:
        raise PreflightError(
            f"{name} holds objects of {model}, and no table of tenant {schema!r} has its fields "
            f"({', '.join(sorted(fields)[:6])}): the file comes from another version of the "
            "application."
        )
    raise PreflightError(
        f"{name} holds objects of {model}, whose table could be any of "
        f"{', '.join(sorted(t.name for t in candidates))} in tenant {schema!r}."
    )


def _is_through_of_another(table: Table, layout: Layout) -> bool:
    """Two foreign keys to tables of the tenant, and nothing else but an id: a many-to-many table."""
    fks = [c for c in table.columns if layout.local_fk(table.name, c) is not None]
    return len(fks) == 2 and set(table.columns) - set(fks) <= {"id"}


def _resolve(field_name: str, table: Table, layout: Layout) -> FieldPlan | None:
    """Where the field's value goes: `f_id` (a foreign key), `f` (a column), or an m2m table."""
    for column in (f"{field_name}_id", field_name):
        if column in table.columns:
            fk = layout.local_fk(table.name, column)
            return FieldPlan(field_name, column, fk.table if fk is not None else None)
    through = _through(field_name, table, layout)
    return FieldPlan(field_name, None, through=through) if through is not None else None


def _through(field_name: str, table: Table, layout: Layout) -> Through | None:
    name = django_table_name(f"{table.name}_{field_name}")
    candidates = (
        [layout.tables[name]]
        if name in layout.tables
        else [
            t
            for t in layout.tables.values()
            if t.name.endswith(f"_{field_name}")
            and _is_through_of_another(t, layout)
            and any(fk.table == table.name for fk in t.foreign_keys.values())
        ]
    )
    if len(candidates) != 1:
        return None
    through = candidates[0]
    fks = [fk for fk in through.foreign_keys.values() if layout.local_fk(through.name, fk.column) is not None]
    to_model = [fk for fk in fks if fk.table == table.name]
    if len(to_model) == 2:  # many-to-many with itself: Django names the columns from_… and to_…
        to_model.sort(key=lambda fk: not fk.column.startswith("from_"))
    if not to_model or len(fks) != 2:
        return None
    source = to_model[0]
    target = next(fk for fk in fks if fk is not source)
    return Through(through.name, source.column, target.column, target.table)


def _model_plan(scan: DumpScan, model: str, table_name: str, layout: Layout, name: str) -> ModelPlan:
    table, schema = layout.tables[table_name], layout.schema
    if table.pk is None:
        raise PreflightError(
            f"Table {table_name} of tenant {schema!r} has no single-column primary key, so the "
            f"file's {model} objects cannot be placed in it."
        )
    fields: dict[str, FieldPlan] = {}
    for field_name in sorted(scan.models[model].fields):
        plan = _resolve(field_name, table, layout)
        if plan is None:
            raise PreflightError(
                f"{name}: the field {field_name!r} of {model} has no column in table {table_name} "
                f"of tenant {schema!r}: the file comes from another version of the application "
                "(migrate the tenant to it first)."
            )
        if plan.column is not None and (plan.column == table.pk or table.columns[plan.column].generated):
            continue  # a generated column takes no value; the pk comes from "pk"
        fields[field_name] = plan
    given = {table.pk, *(f.column for f in fields.values())}
    for column in table.columns.values():
        if column.name not in given and column.not_null and not column.has_default:
            raise PreflightError(
                f"Table {table_name} of tenant {schema!r} needs a value for its column "
                f"{column.name}, and the file's {model} objects have none: the file comes from "
                "an older version of the application."
            )
    return ModelPlan(model, table_name, table.pk, fields)


def _empty_what_points_at_emptied(layout: Layout, actions: dict[str, str], made_by_migrate: set[str]) -> None:
    """A kept table whose rows point at an emptied table is emptied too (an m2m table of a model the
    file left out, say); content types, permissions and django_migrations keep theirs."""
    changed = True
    while changed:
        changed = False
        for table, action in actions.items():
            if action != LIVE or table == "django_migrations" or table in made_by_migrate:
                continue
            if any(
                actions.get(fk.table) == EMPTY
                for fk in layout.tables[table].foreign_keys.values()
                if fk.schema == layout.schema
            ):
                actions[table] = EMPTY
                changed = True
