// Small time-series charts drawn with uPlot, served from its npm package by the instance-manager.
import uPlot from '/console/vendor/uplot/uPlot.esm.js';
import { h } from './dom.js';

const COLOURS = ['#2f5fd0', '#d63b3b', '#1f9d55', '#d99a06', '#7a4fd0', '#0e8a9a', '#c2569b', '#667085'];

/**
 * One chart: a title and series over time (x in seconds since the epoch). `format` renders the
 * y values in the legend and on the axis.
 */
export class SmallChart {
  /** `floor`: the least top of the y axis, so a quiet series reads as low rather than as noise. */
  constructor(title, labels, format = (value) => String(value), floor = 1, height = 130) {
    this.element = h('div', { className: 'chart' }, h('h3', { className: 'muted' }, title));
    this.labels = labels;
    this.format = format;
    this.floor = floor;
    this.height = height;
    this.plot = undefined;
    this.resize = () => this.plot?.setSize(this.size());
  }

  size() {
    return { width: Math.max(240, this.element.clientWidth - 8), height: this.height };
  }

  /**
   * For charts whose series come from the data (one per key or model): redrawn from scratch only
   * when the set of series changed, otherwise updated in place like setData.
   */
  setSeries(labels, data) {
    if (labels.join('\n') !== this.labels.join('\n')) {
      this.destroy();
      this.labels = labels;
    }
    this.setData(data);
  }

  /** data: [xs, ys1, ys2, ...]; drawn on the first call, redrawn in place afterwards. */
  setData(data) {
    if (this.plot) {
      this.plot.setData(data);
      return;
    }
    // Drawing needs the element's width: wait until it is in the document.
    if (!this.element.isConnected) return;
    const show = (_plot, value) => (value === null || value === undefined ? '–' : this.format(value));
    this.plot = new uPlot(
      {
        ...this.size(),
        series: [
          {},
          ...this.labels.map((label, index) => ({
            label,
            stroke: COLOURS[index % COLOURS.length],
            width: 1.5,
            value: show,
          })),
        ],
        axes: [{}, { values: (_plot, ticks) => ticks.map((tick) => this.format(tick)), size: 60 }],
        scales: { y: { range: (_plot, min, max) => [Math.min(0, min ?? 0), Math.max(max ?? 0, this.floor)] } },
        cursor: { drag: { x: false, y: false } },
      },
      data,
      this.element,
    );
    window.addEventListener('resize', this.resize);
  }

  destroy() {
    window.removeEventListener('resize', this.resize);
    this.plot?.destroy();
    this.plot = undefined;
  }
}

/** Points collected from polls, at most `limit` of them (older ones drop off). */
export class Samples {
  constructor(width, limit = 180) {
    this.columns = Array.from({ length: width + 1 }, () => []);
    this.limit = limit;
  }

  add(atSeconds, ...values) {
    const xs = this.columns[0];
    if (xs.length && xs[xs.length - 1] >= atSeconds) return;
    this.columns.forEach((column, index) => {
      column.push(index === 0 ? atSeconds : (values[index - 1] ?? null));
      if (column.length > this.limit) column.shift();
    });
  }

  get data() {
    return this.columns;
  }
}
