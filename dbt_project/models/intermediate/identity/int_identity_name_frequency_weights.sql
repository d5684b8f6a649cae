{#- How much sharing a name says, by how many records carry the name, measured on this data
    set. The term-frequency weight (u = the name's share of all records, as Splink has it)
    counts a person's own other records as strangers who happen to share the name: a name
    written on two records, most often one person twice, reads as "1 in N/2", and a weak record
    (a paper card, a service-desk contact: a name and a city) never joins its person.

    So, per band of the name's record count (2, 3-4, 5-8, 9-16, ... records), the share of
    matches among ALL record pairs that share such a name (Σ c(c-1)/2 over the band's names,
    counted exactly) is estimated: the expected matching pairs of the data set (the prior times
    all pairs) times the share of them that share a band-b name, read off the candidate pairs
    that share a mobile, an e-mail or an id number (nearly all matches, whatever their names).
    No labels; where there are fewer than identity_name_band_min_pairs such pairs, nothing is
    estimated and names keep the term-frequency weight. A share is never taken above
    identity_name_band_max_share (a name alone is never proof) nor below 0.001.
    The band's weight makes prior + weight its log-odds, so the other comparisons add to it as
    to any level; 'same hanzi' and 'same key' differ from it by their own weights' difference
    from the two levels' pooled weight. -#}
with records as (
    select record_key, name_key from {{ ref('int_identity_records') }}
),

names as (
    select name_key, count(*) as n_records
    from records
    where name_key is not null
    group by name_key
    having count(*) >= 2
),

bands as (
    select
        {{ identity_name_count_band('n_records') }} as band,
        count(*) as n_names,
        sum(cast(n_records as bigint) * (n_records - 1) / 2) as n_name_pairs
    from names
    group by 1
),

-- candidate pairs sharing a strong identifier: nearly all matches, with their names as matches have them
strong as (
    select {{ identity_name_count_band('names.n_records') }} as band
    from {{ ref('int_identity_candidate_pairs') }} as pairs
    left join records as ra on ra.record_key = pairs.record_key_a and pairs.g_name >= 3
    left join names on names.name_key = ra.name_key
    where pairs.g_mobile = 1 or pairs.g_email = 1 or pairs.g_id_number = 1
),

strong_bands as (
    select band, count(*) as n_strong_pairs from strong where band is not null group by band
),

strong_total as (
    select count(*) as n_strong_pairs from strong
),

parameters as (
    select
        max(case when comparison = 'prior' then m_probability end) as prior_probability,
        max(case when comparison = 'prior' then weight_bits end) as prior_bits,
        max(case when comparison = 'name' and level = 3 then m_probability end) as m_3,
        max(case when comparison = 'name' and level = 4 then m_probability end) as m_4,
        max(case when comparison = 'name' and level = 3 then u_probability end) as u_3,
        max(case when comparison = 'name' and level = 4 then u_probability end) as u_4,
        max(case when comparison = 'name' and level = 3 then weight_bits end) as w_3,
        max(case when comparison = 'name' and level = 4 then weight_bits end) as w_4,
        min(case when comparison = 'name' and level in (3, 4) then n_sessions end) > 0 as levels_estimated
    from {{ ref('int_identity_match_weights') }}
),

n_records as (
    select count(*) as n from records
),

estimated as (
    select
        bands.band,
        bands.n_names,
        bands.n_name_pairs,
        coalesce(strong_bands.n_strong_pairs, 0) as n_strong_pairs,
        strong_total.n_strong_pairs as n_strong_pairs_total,
        parameters.prior_probability * (cast(n_records.n as double) * (n_records.n - 1) / 2)
            * coalesce(strong_bands.n_strong_pairs, 0) / nullif(strong_total.n_strong_pairs, 0) as expected_matches,
        strong_total.n_strong_pairs >= {{ var('identity_name_band_min_pairs') }} as is_estimated,
        parameters.*
    from bands
    left join strong_bands on strong_bands.band = bands.band
    cross join strong_total
    cross join parameters
    cross join n_records
),

shared as (
    select
        estimated.*,
        case when is_estimated then least(greatest(expected_matches / n_name_pairs, 0.001),
                                          {{ var('identity_name_band_max_share') }}) end as match_share
    from estimated
),

levels as (
    select 3 as name_level union all select 4
)

select
    levels.name_level,
    shared.band,
    cast(pow(2, shared.band) + 1 as integer) as min_records,
    cast(pow(2, shared.band + 1) as integer) as max_records,
    shared.n_names,
    shared.n_name_pairs,
    shared.n_strong_pairs,
    shared.n_strong_pairs_total,
    shared.expected_matches,
    shared.is_estimated,
    shared.match_share,
    case when shared.is_estimated then
        ln(shared.match_share / (1 - shared.match_share)) / ln(2.0) - shared.prior_bits
        + case when shared.levels_estimated then
            (case levels.name_level when 3 then shared.w_3 else shared.w_4 end)
            - ln((shared.m_3 + shared.m_4) / (shared.u_3 + shared.u_4)) / ln(2.0)
          else 0 end
    end as weight_bits
from shared
cross join levels
