//! The Metrics view: the six KPIs against target, the value KPIs, and the charts. On a
//! large terminal every panel shows at once; on a small one they come in pages.

use super::one_line;
use super::theme::{Theme, tier_mark};
use crate::app::App;
use crate::app::keys::Action;
use crate::domain::DAY;
use crate::domain::metrics::{Kpi, ValueFacts};
use crate::store::{Dashboard, TREND_PERIODS};
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Bar, BarChart, BarGroup, Block, Cell, Chart, Dataset, GraphType, Paragraph, Row, Sparkline, Table, Wrap,
};

/// From this size every panel shows at once.
pub const FULL_WIDTH: u16 = 100;
pub const FULL_HEIGHT: u16 = 34;
/// Pages on a small terminal.
const PAGES: usize = crate::app::METRICS_PAGES;

pub fn view(app: &App, theme: &Theme, f: &mut Frame, area: Rect) {
    let [head, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    let full = area.width >= FULL_WIDTH && area.height >= FULL_HEIGHT;
    let page = app.metrics_page.min(PAGES - 1);
    let key = |a| super::key_hint(app, a);
    let mut spans = vec![
        Span::styled(
            format!(
                "Metrics · last {} days · {}",
                app.metrics_days,
                app.metrics_segment.map(|s| s.label()).unwrap_or("all segments")
            ),
            theme.title(),
        ),
        Span::styled(
            format!(
                "  {} period · {} segment",
                key(Action::MetricsPeriod),
                key(Action::CycleSegment)
            ),
            theme.dim(),
        ),
    ];
    if !full {
        spans.push(Span::styled(
            format!(
                " · page {}/{PAGES} {}/{}",
                page + 1,
                key(Action::PrevPanel),
                key(Action::NextPanel)
            ),
            theme.dim(),
        ));
    }
    f.render_widget(Line::from(spans), head);
    let Some(d) = app
        .metrics
        .as_deref()
        .filter(|d| (d.days, d.segment) == (app.metrics_days, app.metrics_segment))
    else {
        f.render_widget(Paragraph::new("Counting…"), body);
        return;
    };
    if full {
        let [a, b, c] = Layout::vertical([Constraint::Length(9), Constraint::Fill(1), Constraint::Fill(1)]).areas(body);
        let [k, v] = Layout::horizontal([Constraint::Length(60), Constraint::Min(30)]).areas(a);
        kpis(theme, f, k, d);
        value(theme, f, v, d);
        let [t, h, w] = Layout::horizontal([Constraint::Fill(2), Constraint::Fill(3), Constraint::Fill(3)]).areas(b);
        tiers(theme, f, t, d);
        trend(theme, f, h, d);
        weekly(theme, f, w, d);
        let [n, m, g] = Layout::horizontal([Constraint::Fill(2), Constraint::Fill(3), Constraint::Fill(3)]).areas(c);
        nps(theme, f, n, d);
        churn(theme, f, m, d);
        tags(theme, f, g, d);
        return;
    }
    match page {
        0 => {
            let [k, v] = Layout::vertical([Constraint::Length(9), Constraint::Min(3)]).areas(body);
            kpis(theme, f, k, d);
            value(theme, f, v, d);
        }
        1 => {
            let [top, bottom] = Layout::vertical([Constraint::Fill(1), Constraint::Fill(1)]).areas(body);
            let [t, h] = Layout::horizontal([Constraint::Fill(2), Constraint::Fill(3)]).areas(top);
            tiers(theme, f, t, d);
            trend(theme, f, h, d);
            let [n, m] = Layout::horizontal([Constraint::Fill(2), Constraint::Fill(3)]).areas(bottom);
            nps(theme, f, n, d);
            churn(theme, f, m, d);
        }
        _ => {
            let [w, g] = Layout::vertical([Constraint::Fill(1), Constraint::Fill(1)]).areas(body);
            weekly(theme, f, w, d);
            tags(theme, f, g, d);
        }
    }
}

fn kpis(theme: &Theme, f: &mut Frame, area: Rect, d: &Dashboard) {
    let rows: Vec<Row> = d
        .kpis
        .iter()
        .map(|k| {
            let (mark, style) = match k.status {
                Some(s) => (s.mark(), theme.status(s)),
                None => ("-", theme.dim()),
            };
            let change = match (k.change(), k.improved()) {
                (Some(c), Some(better)) => Span::styled(
                    format!("{} {}", k.kpi.format_change(c), if better { "better" } else { "worse" }),
                    if better { theme.ok() } else { theme.warn() },
                ),
                (Some(_), None) => Span::styled("same", theme.dim()),
                _ => Span::styled("-", theme.dim()),
            };
            Row::new(vec![
                Cell::from(k.kpi.label()),
                Cell::from(k.value.map(|v| k.kpi.format(v)).unwrap_or_else(|| "no data".into())),
                Cell::from(k.kpi.target_label()),
                Cell::from(Span::styled(mark, style)),
                Cell::from(change),
            ])
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(19),
            Constraint::Length(7),
            Constraint::Length(7),
            Constraint::Length(5),
            Constraint::Min(8),
        ],
    )
    .header(Row::new(vec!["KPI", "Value", "Target", "", "Change"]).style(theme.header()))
    .block(Block::bordered().title(format!(" KPIs vs the {} days before ", d.days)));
    f.render_widget(table, area);
}

fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.0}%")).unwrap_or_else(|| "-".into())
}

fn dollars(cents: Option<f64>) -> String {
    match cents {
        Some(c) if c >= 1_000_000.0 => format!("${:.0}k", c / 100_000.0),
        Some(c) => format!("${:.0}", c / 100.0),
        None => "-".into(),
    }
}

fn value(theme: &Theme, f: &mut Frame, area: Rect, d: &Dashboard) {
    let (v, p): (&ValueFacts, &ValueFacts) = (&d.value, &d.value_previous);
    let churn = d.current.value(Kpi::MonthlyChurnPercent);
    let churn_prev = d.previous.value(Kpi::MonthlyChurnPercent);
    let days = |x: Option<f64>| x.map(|x| format!("{x:.1} d")).unwrap_or_else(|| "-".into());
    let row = |name: &str, now: String, detail: String, before: String| {
        Line::from(vec![
            Span::styled(format!("{name:<15}"), theme.title()),
            Span::raw(format!("{now:<6}")),
            Span::raw(detail),
            Span::styled(format!(", was {before}"), theme.dim()),
        ])
    };
    let mut lines = vec![
        row(
            "Time to value",
            days(v.time_to_value_days()),
            format!(" {} of {} on day 1", pct(v.first_session_percent()), v.signups),
            days(p.time_to_value_days()),
        ),
        row(
            "Lifetime value",
            dollars(v.lifetime_value_cents(churn)),
            format!(" {}/mo an account", dollars(v.arpa_cents())),
            dollars(p.lifetime_value_cents(churn_prev)),
        ),
        row(
            "Expansion",
            pct(v.expansion_percent()),
            format!(" of MRR (+{}/mo)", dollars(Some(v.expansion_cents as f64))),
            pct(p.expansion_percent()),
        ),
        row(
            "Onboarded",
            pct(v.onboarding_completion_percent()),
            format!(" {} of {} reached value", v.onboarding_completed, v.onboarding_cohort),
            pct(p.onboarding_completion_percent()),
        ),
    ];
    let left_before: u64 = p.churn_reasons.iter().map(|(_, n)| n).sum();
    lines.push(Line::from(vec![
        Span::styled(format!("{:<15}", "Why they leave"), theme.title()),
        Span::raw(if v.churn_reasons.is_empty() {
            "no account left in the period".to_string()
        } else {
            format!("{} left", v.churn_reasons.iter().map(|(_, n)| n).sum::<u64>())
        }),
        Span::styled(format!(", was {left_before}"), theme.dim()),
    ]));
    // one reason a line, as many as there is room for
    let room = (area.height as usize).saturating_sub(2 + lines.len()).max(1);
    for (why, n) in v.churn_reasons.iter().take(room) {
        lines.push(Line::from(format!("{:>15}{n:>3}  {}", "", one_line(why))));
    }
    let block = Block::bordered().title(format!(" Value · trend over {TREND_PERIODS} periods "));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let [text, spark] =
        Layout::horizontal([Constraint::Min(10), Constraint::Length(TREND_PERIODS as u16 + 1)]).areas(inner);
    // cut, not wrapped: each sparkline stays beside its line
    f.render_widget(Paragraph::new(lines), text);
    // each value KPI's trend, one sparkline a row, beside its line
    let trends: [Vec<Option<u64>>; 4] = [
        d.value_trend
            .iter()
            .map(|(v, _)| v.time_to_value_days().map(|x| (x * 10.0) as u64))
            .collect(),
        d.value_trend
            .iter()
            .map(|(v, churn)| v.lifetime_value_cents(*churn).map(|x| x as u64))
            .collect(),
        d.value_trend
            .iter()
            .map(|(v, _)| v.expansion_percent().map(|x| (x * 10.0) as u64))
            .collect(),
        d.value_trend
            .iter()
            .map(|(v, _)| v.onboarding_completion_percent().map(|x| x as u64))
            .collect(),
    ];
    if spark.width > TREND_PERIODS as u16 && text.width >= 40 {
        for (row, data) in trends.into_iter().enumerate() {
            let r = Rect {
                y: spark.y + row as u16,
                height: 1,
                x: spark.x + 1,
                width: spark.width - 1,
            };
            if r.y < spark.bottom() {
                f.render_widget(Sparkline::default().data(data).absent_value_symbol("·"), r);
            }
        }
    }
}

fn bar_chart<'a>(title: String, bars: Vec<Bar<'a>>, area: Rect) -> BarChart<'a> {
    let n = bars.len().max(1) as u16;
    let inner = area.width.saturating_sub(2);
    let width = (inner.saturating_sub(n - 1) / n).clamp(1, 9);
    BarChart::default()
        .block(Block::bordered().title(title))
        .data(BarGroup::default().bars(&bars))
        .bar_width(width)
        .bar_gap(1)
}

/// Bars lying down, labelled on the left: what reads best in a narrow panel.
fn hbar_chart<'a>(title: String, bars: Vec<Bar<'a>>) -> BarChart<'a> {
    BarChart::default()
        .block(Block::bordered().title(title))
        .direction(Direction::Horizontal)
        .data(BarGroup::default().bars(&bars))
        .bar_width(1)
        .bar_gap(0)
}

fn tiers(theme: &Theme, f: &mut Frame, area: Rect, d: &Dashboard) {
    let total: u64 = d.tiers.iter().map(|(_, n)| n).sum();
    let bars = d
        .tiers
        .iter()
        .map(|(t, n)| {
            Bar::default()
                .value(*n)
                .label(Line::from(format!("{:<2} {:<8} ", tier_mark(*t), t.label())))
                .text_value(format!("{n}"))
                .style(theme.tier(*t))
                .value_style(theme.selected())
        })
        .collect();
    f.render_widget(hbar_chart(format!(" Tiers ({total} accounts) "), bars), area);
}

fn trend(theme: &Theme, f: &mut Frame, area: Rect, d: &Dashboard) {
    let block = Block::bordered().title(" Portfolio health ");
    if d.trend.is_empty() {
        f.render_widget(
            Paragraph::new("No snapshots in this period yet: `tend health recompute` takes one a day.")
                .wrap(Wrap { trim: true })
                .block(block),
            area,
        );
        return;
    }
    // x is the day's offset in the period: a day without snapshots leaves a gap, not a zero
    let first = day_number(&d.trend[0].0);
    let points: Vec<(f64, f64)> = d
        .trend
        .iter()
        .map(|(day, avg)| ((day_number(day) - first) as f64, *avg))
        .collect();
    let last_x = points.last().map(|p| p.0).unwrap_or(0.0).max(1.0);
    let (lo, hi) = points
        .iter()
        .fold((100.0f64, 0.0f64), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
    let (lo, hi) = (((lo - 5.0) / 10.0).floor() * 10.0, ((hi + 5.0) / 10.0).ceil() * 10.0);
    let (lo, hi) = (lo.max(0.0), hi.min(100.0).max(lo + 10.0));
    let latest = points.last().map(|p| p.1).unwrap_or(0.0);
    let data = [Dataset::default()
        .marker(Marker::Braille)
        .graph_type(GraphType::Line)
        .style(Style::default())
        .data(&points)];
    let chart = Chart::new(data.to_vec())
        .block(block.title(format!(" avg {latest:.0} ")))
        .x_axis(Axis::default().bounds([0.0, last_x]).labels(vec![
            Line::from(short_day(&d.trend[0].0)),
            Line::from(short_day(&d.trend[d.trend.len() - 1].0)),
        ]))
        .y_axis(
            Axis::default()
                .bounds([lo, hi])
                .labels(vec![Line::from(format!("{lo:.0}")), Line::from(format!("{hi:.0}"))])
                .style(theme.dim()),
        );
    f.render_widget(chart, area);
}

fn day_number(day: &str) -> i64 {
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map(|d| {
            d.and_hms_opt(0, 0, 0)
                .map(|t| t.and_utc().timestamp() / DAY)
                .unwrap_or(0)
        })
        .unwrap_or(0)
}

/// "11-22" from "2026-11-22".
fn short_day(day: &str) -> String {
    day.get(5..).unwrap_or(day).to_string()
}

fn weekly(theme: &Theme, f: &mut Frame, area: Rect, d: &Dashboard) {
    let [chart, advice] = Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(area);
    let n = d.weekly_tickets.len().max(1) as u16;
    let room = chart.width.saturating_sub(2) / n;
    let bars = d
        .weekly_tickets
        .iter()
        .map(|(day, count)| {
            let b = Bar::default().value(*count).value_style(theme.selected());
            if room >= 6 {
                b.label(Line::from(short_day(day)))
            } else {
                b
            }
        })
        .collect();
    f.render_widget(bar_chart(" Tickets per week (12 weeks) ".into(), bars, chart), chart);
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(format!(" {:.0} a week: ", d.tickets_per_week), theme.title()),
            Span::raw(d.staffing.short()),
        ])),
        advice,
    );
}

fn nps(theme: &Theme, f: &mut Frame, area: Rect, d: &Dashboard) {
    let c = &d.current;
    let score = d
        .current
        .value(Kpi::Nps)
        .map(|v| format!("{v:+.0}"))
        .unwrap_or_else(|| "-".into());
    let bar = |n: u64, label: &'static str, style: Style| {
        Bar::default()
            .value(n)
            .label(Line::from(label))
            .text_value(format!("{n}"))
            .style(style)
            .value_style(theme.selected())
    };
    let bars = vec![
        bar(c.promoters, "Promoters 9-10 ", theme.ok()),
        bar(c.passives, "Passives  7-8  ", Style::default()),
        bar(c.detractors, "Detractors 0-6 ", theme.breach()),
    ];
    f.render_widget(hbar_chart(format!(" NPS {score} in the period "), bars), area);
}

fn churn(theme: &Theme, f: &mut Frame, area: Rect, d: &Dashboard) {
    let total: u64 = d.churn_by_month.iter().map(|(_, n)| n).sum();
    let bars = d
        .churn_by_month
        .iter()
        .map(|(month, n)| {
            Bar::default()
                .value(*n)
                .label(Line::from(month_label(month)))
                .style(theme.warn())
                .value_style(theme.selected())
        })
        .collect();
    f.render_widget(
        bar_chart(format!(" Churned per month ({total} in 6) "), bars, area),
        area,
    );
}

fn month_label(month: &str) -> &'static str {
    const NAMES: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    month
        .get(5..7)
        .and_then(|m| m.parse::<usize>().ok())
        .and_then(|m| NAMES.get(m.wrapping_sub(1)))
        .copied()
        .unwrap_or("?")
}

fn tags(theme: &Theme, f: &mut Frame, area: Rect, d: &Dashboard) {
    let rows = area.height.saturating_sub(2) as usize;
    let top = d.top_tags.first().map(|t| t.1).unwrap_or(1).max(1);
    let name_w = d
        .top_tags
        .iter()
        .take(rows)
        .map(|(t, _)| crate::text::width(&one_line(t)))
        .max()
        .unwrap_or(4)
        .min(20);
    let bar_room = (area.width as usize).saturating_sub(name_w + 10).max(1);
    let lines: Vec<Line> = if d.top_tags.is_empty() {
        vec![Line::styled("No tagged tickets in this period.", theme.dim())]
    } else {
        d.top_tags
            .iter()
            .take(rows)
            .map(|(tag, n)| {
                let len = ((*n as usize * bar_room) / top as usize).max(1);
                let name = crate::text::fit(&one_line(tag), name_w);
                Line::from(vec![
                    Span::raw(format!("{name} {n:>4} ")),
                    Span::styled("█".repeat(len), theme.key()),
                ])
            })
            .collect()
    };
    f.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Top issue tags ")),
        area,
    );
}
