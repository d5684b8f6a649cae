"""The web application: login, search, the customer card, stores, channels, segments.

Built by `create_app(WebConfig)`; `huaxiang serve` runs it with uvicorn on localhost. Each
request opens the BI copy read-only for as long as it renders (a run replaces the file by a
rename, so the next request reads the new copy and no run waits for a page).
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from orchestration.exports.restricted import AuditLog, read_contact
from orchestration.exports.segments import ExportError, segment_export_sql
from orchestration.exports.snapshot import SnapshotError, open_snapshot
from orchestration.reports.portrait_charts import HALF_WIDTH, Bar, hbar_svg, month_bars_svg, month_line_svg
from orchestration.reports.svg import fmt_int, fmt_money, fmt_pct, is_missing, label_of, num
from orchestration.reports.templating import environment
from orchestration.warehouse import Connection, open_read_only
from web import data
from web.users import User, load_users, verify_password

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class WebConfig:
    bi_database: Path       # the BI copy (<outputs>/bi/huaxiang_bi.duckdb)
    outputs: Path           # for the restricted contacts and the audit log
    users_file: Path
    secret: str = ""        # signs the session cookie; empty: a new one per start (log in again)


class NoData(RuntimeError):
    pass


class LoginRequired(Exception):
    """An anonymous request (or a user removed from the file): the login page, nothing else."""


def create_app(config: WebConfig) -> FastAPI:
    app = FastAPI(title="huaxiang", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(SessionMiddleware, secret_key=config.secret or secrets.token_urlsafe(32),
                       session_cookie="huaxiang_session", same_site="lax", https_only=False, max_age=8 * 3600)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    # one environment with the report's: its macros (charts, notes) are the pages' too
    templates = Jinja2Templates(env=environment(HERE / "templates"))
    templates.env.filters["money"] = lambda v: "" if v is None else f"¥{float(v):,.2f}"
    templates.env.filters["pct"] = lambda v: "" if v is None else f"{float(v):.1%}"
    templates.env.filters["num"] = lambda v: "" if v is None else f"{v:,}"
    templates.env.filters["url"] = lambda v: quote(str(v), safe="")
    audit = AuditLog(config.outputs)

    def user_of(request: Request) -> User | None:
        name = request.session.get("user")
        if not name:
            return None
        user = load_users(config.users_file).get(name)
        if user is None:  # removed from the file: the session ends
            request.session.clear()
        return user

    def require_user(request: Request) -> User:
        user = user_of(request)
        if user is None:
            raise LoginRequired()
        return user

    def page(request: Request, template: str, user: User, status: int = 200, **context) -> HTMLResponse:
        return templates.TemplateResponse(request, template, {"user": user, "csrf": request.session.get("csrf"),
                                                              **context}, status_code=status)

    @contextmanager
    def bi() -> Iterator[Connection]:
        if not config.bi_database.exists():
            raise NoData(f"no BI copy at {config.bi_database} yet: run `huaxiang run` first")
        con = open_read_only(config.bi_database)
        try:
            yield con
        finally:
            con.close()

    def login_redirect(request: Request) -> RedirectResponse:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)

    def check_csrf(request: Request, token: str) -> None:
        if not token or not secrets.compare_digest(token, request.session.get("csrf", "")):
            raise HTTPException(status_code=400, detail="the form has expired: reload the page")

    @app.exception_handler(LoginRequired)
    def login_required(request: Request, exc: LoginRequired):
        return login_redirect(request)

    @app.exception_handler(NoData)
    def no_data(request: Request, exc: NoData, user: User = Depends(require_user)):
        return page(request, "message.html", user, status=503, title="还没有数据", message=str(exc))

    # ------------------------------------------------------------------------- login
    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/"):
        return templates.TemplateResponse(request, "login.html", {"next": next, "error": None, "user": None})

    @app.post("/login")
    def login(request: Request, name: str = Form(...), password: str = Form(...), next: str = Form("/")):
        user = load_users(config.users_file).get(name)
        if user is None or not verify_password(password, user.password_hash):
            return templates.TemplateResponse(request, "login.html", {"next": next, "error": "用户名或密码不正确",
                                                                      "user": None}, status_code=401)
        request.session.clear()
        request.session.update({"user": user.name, "csrf": secrets.token_urlsafe(24)})
        target = next if next.startswith("/") and not next.startswith("//") else "/"
        return RedirectResponse(target, status_code=303)

    @app.post("/logout")
    def logout(request: Request):
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    # ------------------------------------------------------------------------- pages
    @app.get("/", response_class=HTMLResponse)
    def home(request: Request, user: User = Depends(require_user)):
        with bi() as con:
            return page(request, "home.html", user, as_of=data.as_of_date(con),
                        stores=data.outlets(con, "store"), channels=data.outlets(con, "channel"),
                        segments=data.segments(con))

    @app.get("/search", response_class=HTMLResponse)
    def search(request: Request, q: str = "", user: User = Depends(require_user)):
        with bi() as con:
            found = data.search(con, q) if q.strip() else []
        if len(found) == 1:
            return RedirectResponse(f"/customers/{quote(found[0]['customer_id'])}", status_code=303)
        return page(request, "search.html", user, q=q, found=found)

    def render_card(request: Request, user: User, customer_id: str, revealed=None) -> HTMLResponse:
        with bi() as con:
            found = data.card(con, customer_id)
        if found is None:
            return page(request, "message.html", user, status=404, title="没有这位客户",
                        message=f"没有客户 {customer_id}")
        return page(request, "card.html", user, c=found, revealed=revealed)

    @app.get("/customers/{customer_id}", response_class=HTMLResponse)
    def customer(request: Request, customer_id: str, user: User = Depends(require_user)):
        return render_card(request, user, customer_id)

    @app.post("/customers/{customer_id}/reveal", response_class=HTMLResponse)
    def reveal(request: Request, customer_id: str, csrf: str = Form(""), user: User = Depends(require_user)):
        check_csrf(request, csrf)
        if not user.may_reveal:
            return page(request, "message.html", user, status=403, title="没有权限",
                        message="只有数据管理员（steward）可以查看联系方式")
        contact = read_contact(config.outputs, customer_id)
        if contact is None:
            return page(request, "message.html", user, status=404, title="没有联系方式",
                        message=f"受限区没有客户 {customer_id} 的联系方式（运行一次 huaxiang run）")
        audit.record(user.name, user.role, "reveal_contact", customer_id=customer_id)
        return render_card(request, user, customer_id, revealed=contact)

    def outlet_pages(kind: str, path: str) -> None:
        title = data.OUTLETS[kind][2]

        @app.get(f"/{path}", response_class=HTMLResponse, name=f"{kind}_list")
        def outlet_list(request: Request, user: User = Depends(require_user)):
            with bi() as con:
                found = data.outlets(con, kind)
            return page(request, "outlets.html", user, kind=kind, path=path, title=title, outlets=found)

        @app.get(f"/{path}/{{outlet_id}}", response_class=HTMLResponse, name=f"{kind}_page")
        def outlet_page(request: Request, outlet_id: str, user: User = Depends(require_user)):
            with bi() as con:
                found = data.outlet(con, kind, outlet_id)
            if found is None:
                return page(request, "message.html", user, status=404, title=f"没有这个{title}", message=outlet_id)
            return page(request, "outlet.html", user, kind=kind, path=path, title=title, outlet_id=outlet_id,
                        o=found, charts=outlet_charts(kind, outlet_id, found))

    outlet_pages("store", "stores")
    outlet_pages("channel", "channels")

    @app.get("/segments", response_class=HTMLResponse)
    def segment_list(request: Request, user: User = Depends(require_user)):
        with bi() as con:
            found = data.segments(con)
        return page(request, "segments.html", user, segments=found)

    @app.get("/segments/{key}", response_class=HTMLResponse)
    def segment_page(request: Request, key: str, user: User = Depends(require_user)):
        with bi() as con:
            found = data.segment(con, key)
        if found is None:
            return page(request, "message.html", user, status=404, title="没有这个分群", message=key)
        history = month_line_svg("chart-segment-history", f"{key} 人数变化",
                                 [h["as_of_date"].isoformat() for h in found["history"]],
                                 [_count(h["members"]) for h in found["history"]], TREND_COLOUR, fmt_int) \
            if found["history"] else None
        return page(request, "segment.html", user, s=found, history=history)

    @app.get("/segments/{key}/export.csv")
    def segment_export(request: Request, key: str, user: User = Depends(require_user)):
        # the same SELECT as `huaxiang segments export`, over the BI copy under the marts' names
        try:
            con, _ = open_snapshot(config.bi_database)
        except SnapshotError as exc:
            raise NoData(str(exc)) from None
        try:
            sql, params, _ = segment_export_sql(con, key)
            cursor = con.execute(sql, params)
            header, body = [d[0] for d in cursor.description], cursor.fetchall()
        except ExportError as exc:
            raise HTTPException(status_code=404, detail=str(exc)) from None
        finally:
            con.close()
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(body)
        audit.record(user.name, user.role, "segment_export_masked", segment_key=key, rows=len(body))
        return Response(out.getvalue().encode("utf-8-sig"), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{key}.csv"'})

    return app


# ----------------------------------------------------------------------------- charts (the report's)
TREND_COLOUR = "#2563eb"
REVENUE_COLOUR = "#f59e0b"
MIX_TITLES = {"rfm_segment": "RFM 分群构成", "customer_state": "客户状态构成", "category": "品类销售额"}


def _count(value: object) -> float | None:
    """A month without a figure breaks the line rather than dropping to zero."""
    return None if is_missing(value) else num(value)


def outlet_charts(kind: str, outlet_id: str, found: dict) -> dict:
    """The store's or channel's months (a chart per figure: visitors, buyers, revenue) and its
    mix (customers by RFM segment and state, revenue by category), drawn by the report's chart
    module; a mix without rows is None (the template says 暂无数据)."""
    monthly = found["monthly"]
    months = [m["month"].strftime("%Y-%m") for m in monthly]
    trend = [("买家", month_line_svg("chart-outlet-buyers", f"{outlet_id} 月度买家", months,
                                    [_count(m["buyers"]) for m in monthly], TREND_COLOUR, fmt_int)),
             ("销售额", month_bars_svg("chart-outlet-revenue", f"{outlet_id} 月度销售额", months,
                                     [("销售额", REVENUE_COLOUR, [num(m["net_amount"]) for m in monthly])], fmt_money))]
    if kind == "store":
        trend.insert(0, ("到店客户", month_line_svg("chart-outlet-visitors", f"{outlet_id} 月度到店客户", months,
                                                  [_count(m["visitors"]) for m in monthly], TREND_COLOUR, fmt_int)))
    mix = {}
    for dim, rows in found["mix"].items():
        bars = []
        for m in rows:
            label = label_of(m["value_label"], m["value"])
            share = fmt_pct(num(m["share"]))
            if dim == "category":
                value, note = num(m["net_amount"]), f"{fmt_money(m['net_amount'])} · {share}"
            else:
                value, note = num(m["customers"]), f"{fmt_int(m['customers'])} 人 · {share}"
            bars.append(Bar(label, value, note, f"{label}：{note}", muted=is_missing(m["value"])))
        mix[dim] = hbar_svg(f"chart-mix-{dim.replace('_', '-')}", f"{outlet_id} {MIX_TITLES.get(dim, dim)}", bars,
                            HALF_WIDTH) if bars else None
    return {"trend": trend, **mix}
