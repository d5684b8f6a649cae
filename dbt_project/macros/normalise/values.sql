{#- Amounts in CNY as sources write them: "1299", "-10", "¥1,299.00", "￥99", "CNY 12.5",
    "12.5元", "1,234.50" → decimal(18, 2). Anything else is NULL, so the row is rejected with
    its raw text (int_orders_validated): never strip what is not a digit and read what is left,
    which turned "1e20" into 120.00 and "1e309" into 1309.00. Thousands separators only where
    they group by three; no exponents; more than 16 integer digits does not fit and is NULL. -#}
{% macro parse_amount_cny(expr) -%}
    {%- set s = "trim(" ~ regexp_replace_all(
        "trim(" ~ fullwidth_to_halfwidth(expr) ~ ")",
        "'^([Cc][Nn][Yy]|[Rr][Mm][Bb]|¥|￥)[[:space:]]*|[[:space:]]*([Cc][Nn][Yy]|[Rr][Mm][Bb]|元)$'", "''") ~ ")" -%}
    case when {{ regexp_full_match(s, "'[+-]?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)([.][0-9]+)?|[+-]?[.][0-9]+'") }}
         then try_cast(replace({{ s }}, ',', '') as decimal(18, 2)) end
{%- endmacro %}

{#- Quantities and other whole numbers: "3", "+3", "1,000", "3.0"; NULL for anything else, so
    the row is rejected with its raw text. A cast alone is lenient: DuckDB reads "1e3" as 1000,
    "0x10" as 16 and "12.5" as 13. -#}
{% macro parse_integer(expr) -%}
    {%- set s = "trim(" ~ fullwidth_to_halfwidth(expr) ~ ")" -%}
    case when {{ regexp_full_match(s, "'[+-]?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)([.]0+)?'") }}
         then try_cast({{ regexp_replace_all("replace(" ~ s ~ ", ',', '')", "'[.]0+$'", "''") }} as bigint) end
{%- endmacro %}

{#- paid | refunded | cancelled | unknown, from the spellings the order systems use. -#}
{% macro normalize_order_status(expr) -%}
    case
        when lower(trim({{ expr }})) in ('paid', 'success', 'completed', 'complete', 'done',
                                         '已支付', '支付成功', '已完成', '交易成功') then 'paid'
        when lower(trim({{ expr }})) in ('refunded', 'refund', 'returned', '已退款', '退款', '退款成功',
                                         '已退货') then 'refunded'
        when lower(trim({{ expr }})) in ('cancelled', 'canceled', 'cancel', 'closed', '已取消',
                                         '取消', '交易关闭') then 'cancelled'
        else 'unknown'
    end
{%- endmacro %}

{#- M | F, or NULL when unknown. -#}
{% macro normalize_gender(expr) -%}
    case
        when lower(trim({{ expr }})) in ('m', 'male', '男', '1', '先生') then 'M'
        when lower(trim({{ expr }})) in ('f', 'female', '女', '2', '女士') then 'F'
    end
{%- endmacro %}

{#- The spellings of a marketing consent (营销许可) that sources write, lower case and
    half-width: consent given, or refused / withdrawn (PIPL: marketing needs consent). -#}
{% macro marketing_consent_spellings() -%}
    {{ return({
        'yes': ['true', 't', '1', 'yes', 'y', 'on', 'opt-in', 'opt_in', 'optin', 'agree', 'agreed',
                'accept', 'accepted', 'subscribed', '是', '同意', '已同意', '允许', '接受', '愿意',
                '订阅', '已订阅'],
        'no': ['false', 'f', '0', 'no', 'n', 'off', 'opt-out', 'opt_out', 'optout', 'disagree',
               'refuse', 'refused', 'declined', 'unsubscribed', '否', '拒绝', '已拒绝', '不同意',
               '不允许', '不接受', '不愿意', '退订', '已退订', '取消订阅'],
    }) }}
{%- endmacro %}

{#- true (consent given) | false (refused or withdrawn), or NULL when empty or unknown; the raw
    text stays beside it (marketing_consent_raw), as for gender. -#}
{% macro normalize_marketing_consent(expr) -%}
    {%- set spellings = marketing_consent_spellings() -%}
    case
        when lower({{ clean_text(expr) }}) in ('{{ spellings.yes | join("', '") }}') then true
        when lower({{ clean_text(expr) }}) in ('{{ spellings.no | join("', '") }}') then false
    end
{%- endmacro %}

{#- view | search | favourite | add_to_cart | login | share | referral | purchase, else as given. -#}
{% macro normalize_event_type(expr) -%}
    case
        when lower(trim({{ expr }})) in ('view', 'page_view', 'pv', 'browse', '浏览') then 'view'
        when lower(trim({{ expr }})) in ('search', '搜索') then 'search'
        when lower(trim({{ expr }})) in ('favourite', 'favorite', 'fav', 'collect', '收藏') then 'favourite'
        when lower(trim({{ expr }})) in ('add_to_cart', 'addtocart', 'cart', 'add-to-cart', '加购') then 'add_to_cart'
        when lower(trim({{ expr }})) in ('login', 'signin', '登录') then 'login'
        when lower(trim({{ expr }})) in ('share', '分享') then 'share'
        when lower(trim({{ expr }})) in ('referral', 'refer', 'invite', '邀请', '推荐') then 'referral'
        when lower(trim({{ expr }})) in ('store_visit', 'visit', 'check_in', 'checkin', '到店', '进店', '签到') then 'store_visit'
        else nullif(lower(trim({{ expr }})), '')
    end
{%- endmacro %}
