"""The `referral-service` command line."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import click

from config import BaseConfig, ConfigurationError, load_config
from referral_service.domain.enums import REGISTRABLE_ORGANISATION_KINDS

if TYPE_CHECKING:
    from datetime import datetime

    from referral_service.bootstrap import Dependencies
    from referral_service.demo import DemoLogin
    from referral_service.errors import DomainError
    from referral_service.services.admin.grants import GrantRules

log = logging.getLogger(__name__)


def _config() -> BaseConfig:
    try:
        return load_config()
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from None


def _dependencies(config: BaseConfig | None = None) -> Dependencies:
    """What the service is made of, from the composition root (the same the web app and the worker use)."""
    from referral_service.bootstrap import build

    return build(config or _config())


@click.group()
def main() -> None:
    """BUP referral coordination service."""


@main.group()
def db() -> None:
    """Database commands."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations."""
    from referral_service.migrations import upgrade

    config = _config()
    from pathlib import Path

    Path(config.DATA_DIR).mkdir(parents=True, exist_ok=True)
    upgrade(config.DATABASE_URL)
    click.echo("Database is up to date.")


@main.command("create-admin")
@click.option("--email", required=True)
@click.option("--name", default="Administrator")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--organisation-id", default=None, help="Default: the operator organisation.")
@click.option("--hpr-number", default=None, help="For signing in with HelseID (the HPR number it names).")
def create_admin(email: str, name: str, password: str, organisation_id: str | None, hpr_number: str | None) -> None:
    """Create an administrator."""
    from sqlmodel import select

    from referral_service.domain.enums import OrganisationKind, Role
    from referral_service.domain.organisation import Organisation
    from referral_service.errors import DomainError
    from referral_service.services.admin.directory import create_user

    deps = _dependencies()
    if organisation_id is None:
        with deps.unit_of_work() as uow:
            operator = uow.session.exec(
                select(Organisation).where(Organisation.kind == OrganisationKind.OPERATOR)).first()
            if operator is None:
                operator = Organisation(kind=OrganisationKind.OPERATOR, name="Driftsorganisasjonen")
                uow.add(operator)
                uow.commit()
            organisation_id = operator.id
    try:
        user = create_user(deps.unit_of_work(), actor=None, email=email, name=name, password=password,
                           organisation_id=organisation_id, roles=[Role.ADMIN], hpr_number=hpr_number)
    except DomainError as exc:
        raise click.ClickException(f"{exc.detail} {exc.errors or ''}") from None
    click.echo(f"Administrator {user.email} created.")


@main.command("seed-demo")
def seed_demo_command() -> None:
    """Create demo organisations and users (synthetic data); print the logins."""
    from referral_service.demo import seed_demo
    from referral_service.serving import demo_login_lines

    config = _config()
    if config.is_production:
        raise click.ClickException("Demo data is never created in production.")
    logins = seed_demo(_dependencies(config).unit_of_work())
    click.echo("\n".join(demo_login_lines(logins)))


#: How long `serve` waits for its worker to consume before it prints its address anyway.
WORKER_READY_SECONDS = 30.0


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def serve(host: str, port: int, threads: int) -> None:
    """Run the whole service on the embedded default: web, worker and scheduler, no outside server."""
    import signal

    from waitress import create_server

    from referral_service import create_app
    from referral_service.serving import CannotListen, cannot_listen, check_address_free, closing_block
    from referral_service.tasks.embedded import EmbeddedWorker, limit_malloc_arenas

    try:
        check_address_free(host, port)  # before anything starts or prints
    except CannotListen as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(1) from None
    limit_malloc_arenas()
    config = _config()
    app = create_app(config)
    try:
        server = create_server(app, host=host, port=port, threads=threads, ident="referral-service")
    except OSError as exc:  # taken in the moment since the check
        click.echo(str(cannot_listen(host, port, exc)), err=True)
        raise SystemExit(1) from None
    worker = EmbeddedWorker(config)
    # SIGTERM ends the web server like Ctrl-C, so the worker is stopped with it.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        if not worker.start_and_wait(WORKER_READY_SECONDS):
            log.warning("the embedded worker is not ready yet; serving anyway")
        log.info("serving", extra={"host": host, "port": port})
        click.echo(closing_block(host, port, _demo_logins(config), config))
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        worker.stop()


def _demo_logins(config: BaseConfig) -> list[DemoLogin]:
    """The demo logins to show, when the demo data is there (never in production)."""
    from sqlalchemy.exc import SQLAlchemyError

    from referral_service.demo import demo_logins

    if config.is_production:
        return []
    try:
        return demo_logins(_dependencies(config).unit_of_work())
    except SQLAlchemyError:  # no database yet (`db upgrade` not run): nothing to show
        return []


def _config_at(at: str | None) -> BaseConfig:
    """The settings, with the clock stopped at `at` (an ISO time; refused in production) for a sweep run as of
    another moment."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    config = _config()
    if at is None:
        return config
    if not config.ALLOW_SWEEP_AT:
        raise click.ClickException("--at is refused in production.")
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        raise click.ClickException("--at must be an ISO time, e.g. 2026-04-08T09:00:00+02:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(config.TIMEZONE))
    config.CLOCK = lambda: moment
    return config


@main.command()
@click.option("--at", "at", default=None, help="ISO time to run the sweeps as of (not in production).")
def sweep(at: str | None) -> None:
    """Run the deadline, escalation and reconciliation sweeps once."""
    from datetime import timedelta

    from referral_service.services.loop.reconcile import reconcile
    from referral_service.services.loop.sweeps import run_sweeps

    config = _config_at(at)
    deps = _dependencies(config)
    clock = deps.clock
    started = time.perf_counter()
    repairs = reconcile(deps.unit_of_work(), clock=clock, deadlines=deps.deadlines,
                        grace=timedelta(seconds=config.RECONCILE_GRACE_SECONDS))
    reconciled = time.perf_counter()
    result = run_sweeps(deps.unit_of_work(), clock=clock, deadlines=deps.deadlines)
    swept = time.perf_counter()
    click.echo(f"Sweep as of {clock.now().astimezone(clock.timezone).isoformat()} ({_ms(swept - reconciled)}):")
    for kind, count in sorted(result.marks.items()):
        click.echo(f"  {kind}: {count}")
    if not result.marks:
        click.echo("  nothing new")
    click.echo(f"Reconciler repaired {repairs.missing_handovers} missing handover(s) and re-sent "
               f"{repairs.stuck_messages} stuck message(s) ({_ms(reconciled - started)}).")


def _ms(seconds: float) -> str:
    """How long a pass took, for the operator (and the benchmark, which reads it: bench/parts.py)."""
    return f"{seconds * 1000:.0f} ms"


@main.group()
def audit() -> None:
    """Access-log commands."""


@audit.command("verify")
@click.option("--full", is_flag=True, help="Walk every row from the first, not only those after the newest "
                                           "signed checkpoint.")
def audit_verify(full: bool) -> None:
    """Check the access log's keyed chain against its checkpoints outside the database; exit 1 and say what was
    done to it (changed, deleted, truncated, rewound, wiped, re-hashed, forged) and where."""
    from referral_service.security.access_log_verification import PROBLEMS
    from referral_service.services.admin.audit import verify_access_log

    deps = _dependencies()
    started = time.perf_counter()
    result = verify_access_log(deps.database, actor=None, config=deps.config, full=full)
    if result.ok:
        since = f" (from the signed checkpoint at row {result.from_checkpoint})" if result.from_checkpoint else ""
        click.echo(f"The access log is intact: {result.checked} rows checked{since}, "
                   f"{_ms(time.perf_counter() - started)}.")
        return
    where = f" (id {result.first_broken_id})" if result.first_broken_id else ""
    click.echo(f"Tilgangsloggen er manipulert: {PROBLEMS[result.problem or 'changed']}.\n"
               f"The access log is broken at row {result.first_broken_seq}{where}: {result.reason}. "
               f"{result.checked} rows before it are intact.", err=True)
    raise SystemExit(1)


@main.group()
def municipalities() -> None:
    """The municipality register (Statistics Norway's KLASS 131)."""


@municipalities.command("update")
@click.option("--source", default=None, help="The KLASS API's base URL (default: Statistics Norway's).")
@click.option("--to", "folder", default=None, type=click.Path(file_okay=False),
              help="Where to write the register (default: MUNICIPALITY_REGISTER_DIR, else the shipped files).")
@click.option("--on", "on", default=None, help="The day to renew it for (ISO date; default today).")
def municipalities_update(source: str | None, folder: str | None, on: str | None) -> None:
    """Renew the register: what is in force today, and what changed since it was last renewed."""
    from datetime import date, datetime
    from importlib import resources
    from pathlib import Path
    from zoneinfo import ZoneInfo

    from referral_service import klass
    from referral_service.domain.municipalities import load_register

    config = _config()
    register = load_register(config.MUNICIPALITY_REGISTER_DIR or None)
    day = date.fromisoformat(on) if on else datetime.now(ZoneInfo(config.TIMEZONE)).date()
    base = source or klass.KLASS_API
    target = Path(folder or config.MUNICIPALITY_REGISTER_DIR or str(resources.files("referral_service") / "data"))
    try:
        rows, changes = klass.update_register(register, klass.fetch_json(base), on=day,
                                              since=register.renewed_on())
    except OSError as exc:
        raise click.ClickException(f"KLASS did not answer ({exc}); the register is unchanged.") from None
    klass.write_register(target, rows, changes, source=base, on=day)
    in_force = sum(1 for m in rows if m.in_force(day))
    click.echo(f"The register in {target} holds {in_force} municipalities in force on {day.isoformat()}.")


@main.group()
def keys() -> None:
    """The identity-number keys: make a new one, rotate to it (README, "Key rotation")."""


@keys.command("new")
@click.option("--signing", is_flag=True, help="A random SECRET_KEY or AUDIT_KEY instead of a Fernet key.")
def keys_new(signing: bool) -> None:
    """Print a new random key (a Fernet key for REFERRAL_ID_ENCRYPTION_KEY, or with --signing a signing secret)."""
    from config.secret_strength import new_fernet_key, new_signing_secret

    click.echo(new_signing_secret() if signing else new_fernet_key())


@keys.command("rotate")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(min=1))
def keys_rotate(batch_size: int) -> None:
    """Re-encrypt every identity number and kept form with the first key of REFERRAL_ID_ENCRYPTION_KEY and
    re-index every child under it; safe to stop and run again."""
    from referral_service.services.admin.key_rotation import rotate_keys

    deps = _dependencies()
    vault = deps.identity.vault
    click.echo(f"Rotating to the first of {vault.key_count} identity key(s), {batch_size} rows at a time.")
    totals: dict[str, tuple[int, int]] = {}
    try:
        for table, checked, rewritten in rotate_keys(deps.unit_of_work(), vault=vault, batch_size=batch_size):
            totals[table] = (checked, rewritten)
            click.echo(f"  {table}: {checked} checked, {rewritten} rewritten")
    except ValueError as exc:
        raise click.ClickException(f"{exc}: is every key that was ever used still in REFERRAL_ID_ENCRYPTION_KEY? "
                                   "The rows before this one are rotated; run again when it is.") from None
    for table, (checked, rewritten) in sorted(totals.items()):
        click.echo(f"{table}: {checked} rows, {rewritten} re-encrypted or re-indexed.")
    click.echo("Every row is under the first key; the older keys can now be removed (then restart).")


@main.group()
def grants() -> None:
    """Referral-right grants: a municipality lets PPT or school nurses refer for a period (production too)."""


def _grant_rules(deps: Dependencies) -> GrantRules:
    from referral_service.services.admin.grants import GrantRules

    return GrantRules(conditional_professions=tuple(deps.referrers.conditional), municipalities=deps.municipalities)


def _refused(exc: DomainError) -> click.ClickException:
    """The service's refusal, field by field, as the command's error (exit 1)."""
    reasons = "; ".join(f"{field}: {' '.join(map(str, messages))}" for field, messages in (exc.errors or {}).items())
    return click.ClickException(f"{exc.detail} {reasons}".strip())


@grants.command("add")
@click.option("--municipality", "municipality_number", required=True, help="The municipality's number, e.g. 4601.")
@click.option("--profession", required=True, help="A conditionally referring profession, e.g. school_nurse.")
@click.option("--from", "valid_from", required=True, type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--to", "valid_to", default=None, type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--basis", default="", help="Why: the trial or decision the right rests on.")
def grants_add(municipality_number: str, profession: str, valid_from: datetime, valid_to: datetime | None,
               basis: str) -> None:
    """Grant the referral right; refused when the period overlaps another grant of the same kind."""
    from referral_service.errors import DomainError
    from referral_service.services.admin.grants import add_grant

    deps = _dependencies()
    try:
        grant = add_grant(deps.unit_of_work(), deps.clock, actor=None, rules=_grant_rules(deps),
                          municipality_number=municipality_number, profession=profession,
                          valid_from=valid_from.date(), valid_to=valid_to.date() if valid_to else None, basis=basis)
    except DomainError as exc:
        raise _refused(exc) from None
    click.echo(f"Granted {grant.profession} in {grant.municipality_number} from {grant.valid_from.isoformat()}"
               f"{' to ' + grant.valid_to.isoformat() if grant.valid_to else ''} (id {grant.id}).")


@grants.command("list")
def grants_list() -> None:
    """Every grant, with its id (for `grants end`)."""
    from referral_service.services.admin.grants import list_grants

    deps = _dependencies()
    with deps.unit_of_work() as uow:
        rows = list_grants(uow.session, actor=None)
        for g in rows:
            until = g.valid_to.isoformat() if g.valid_to else "(no end)"
            click.echo(f"{g.id}  {g.municipality_number}  {g.profession:14} {g.valid_from.isoformat()} – {until}  "
                       f"{g.basis}")
    if not rows:
        click.echo("No grants.")


@grants.command("end")
@click.argument("grant_id")
@click.option("--to", "valid_to", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The grant's new last day.")
def grants_end(grant_id: str, valid_to: datetime) -> None:
    """End a grant early."""
    from referral_service.errors import DomainError
    from referral_service.services.admin.grants import end_grant

    deps = _dependencies()
    try:
        grant = end_grant(deps.unit_of_work(), deps.clock, actor=None, grant_id=grant_id, valid_to=valid_to.date())
    except DomainError as exc:
        raise _refused(exc) from None
    click.echo(f"The grant {grant.id} now ends on {grant.valid_to.isoformat() if grant.valid_to else '?'}.")


@main.group()
def retention() -> None:
    """Retention: delete or anonymise what has been kept long enough after its case ended (README "Retention")."""


@retention.command("sweep")
@click.option("--at", "at", default=None, help="ISO time to run the retention sweep as of (not in production).")
def retention_sweep(at: str | None) -> None:
    """Delete or anonymise what is due now, and record what was done (the auditor's page lists the runs)."""
    from referral_service.services.retention.policy import RetentionPolicy
    from referral_service.services.retention.sweep import run_retention

    config = _config_at(at)
    deps = _dependencies(config)
    started = time.perf_counter()
    done = run_retention(deps.unit_of_work(), deps.clock, RetentionPolicy.from_settings(config))
    click.echo(f"Retention sweep as of {deps.clock.now().astimezone(deps.clock.timezone).isoformat()} "
               f"({_ms(time.perf_counter() - started)}):")
    for kind, count in done.items():
        click.echo(f"  {kind}: {count}")


@main.group()
def users() -> None:
    """Users: add one, change their roles, reset a password (production too; every change is in the
    administration log, with no actor: the operator on the server)."""


@users.command("add")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--organisation-id", required=True, help="From `referral-service organisations list`.")
@click.option("--role", "roles", multiple=True, required=True, help="Repeat for several; they must fit the "
                                                                    "organisation's kind.")
@click.option("--profession", default="other", show_default=True)
@click.option("--hpr-number", default=None, help="For signing in with HelseID.")
@click.option("--phone", default=None, help="The phone the family is given when the user holds a child's case.")
@click.option("--hours", default=None, help="When families can call them, e.g. 'hverdager 08.00-15.30'.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def users_add(email: str, name: str, organisation_id: str, roles: tuple[str, ...], profession: str,
              hpr_number: str | None, phone: str | None, hours: str | None, password: str) -> None:
    """Add a user whose roles fit the organisation's kind."""
    from referral_service.errors import DomainError
    from referral_service.services.admin.directory import create_user

    deps = _dependencies()
    try:
        user = create_user(deps.unit_of_work(), actor=None, clock=deps.clock, email=email, name=name,
                           password=password, organisation_id=organisation_id, roles=list(roles),
                           profession=profession, hpr_number=hpr_number, phone=phone, reachable_hours=hours)
    except DomainError as exc:
        raise _refused(exc) from None
    click.echo(f"{user.email} added with the role(s) {', '.join(user.roles)} (id {user.id}).")


@users.command("roles")
@click.option("--email", required=True)
@click.option("--role", "roles", multiple=True, required=True, help="The user's roles from now on (repeat).")
def users_roles(email: str, roles: tuple[str, ...]) -> None:
    """Give the user exactly these roles (they must fit the organisation's kind)."""
    from referral_service.errors import DomainError
    from referral_service.services.admin.roles import change_roles

    deps = _dependencies()
    try:
        user = change_roles(deps.unit_of_work(), deps.clock, actor=None, user_id=_user_id(deps, email),
                            roles=list(roles))
    except DomainError as exc:
        raise _refused(exc) from None
    click.echo(f"{user.email} now has the role(s) {', '.join(user.roles)}.")


def _user_id(deps: Dependencies, email: str) -> str:
    from sqlmodel import select

    from referral_service.domain.organisation import User

    with deps.unit_of_work().reading() as uow:
        user_id = uow.session.exec(select(User.id).where(User.email == email.strip().lower())).first()
    if user_id is None:
        raise click.ClickException("No user has this e-mail address.")
    return user_id


@main.group()
def organisations() -> None:
    """Organisations: add one (a municipality's number from the register), list them."""


@organisations.command("add")
@click.option("--kind", required=True, type=click.Choice(REGISTRABLE_ORGANISATION_KINDS))
@click.option("--name", required=True)
@click.option("--municipality", "municipality_number", default=None, help="Its municipality's number, e.g. 4601.")
@click.option("--her-id", default=None)
@click.option("--phone", default=None, help="The phone the family is given when the organisation holds a case.")
@click.option("--hours", default=None, help="When families can call, e.g. 'hverdager 08.00-15.30'.")
def organisations_add(kind: str, name: str, municipality_number: str | None, her_id: str | None,
                      phone: str | None, hours: str | None) -> None:
    """Add an organisation (every kind but a specialist clinic belongs to a municipality in force)."""
    from referral_service.errors import DomainError
    from referral_service.services.admin.directory import create_organisation

    deps = _dependencies()
    try:
        organisation = create_organisation(deps.unit_of_work(), clock=deps.clock, municipalities=deps.municipalities,
                                           actor=None, kind=kind, name=name, municipality_number=municipality_number,
                                           her_id=her_id, phone=phone, contact_hours=hours)
    except DomainError as exc:
        raise _refused(exc) from None
    click.echo(f"{organisation.name} added (id {organisation.id}).")


@organisations.command("list")
def organisations_list() -> None:
    """Every organisation, with its id (for `users add`)."""
    from sqlmodel import select

    from referral_service.domain.organisation import Organisation

    deps = _dependencies()
    with deps.unit_of_work().reading() as uow:
        for organisation in uow.session.exec(select(Organisation).order_by(Organisation.name)):
            click.echo(f"{organisation.id}  {organisation.kind:22} {organisation.municipality_number or '    '}  "
                       f"{organisation.name}")


@users.command("reset-password")
@click.option("--email", required=True, help="The user's e-mail address.")
def users_reset_password(email: str) -> None:
    """Give the user a temporary password (printed here once, never logged), end every sign-in of the user, and
    have the user choose a new password at the next sign-in."""
    from referral_service.errors import DomainError
    from referral_service.services.admin.credentials import reset_password

    deps = _dependencies()
    email = email.strip().lower()
    try:
        temporary = reset_password(deps.unit_of_work(), deps.clock, actor=None, user_id=_user_id(deps, email))
    except DomainError as exc:
        raise click.ClickException(str(exc.detail)) from None
    click.echo(f"Temporary password for {email} (shown once; the user chooses a new one at sign-in):")
    click.echo(temporary)


if __name__ == "__main__":
    main()
