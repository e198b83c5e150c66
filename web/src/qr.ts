/**
 * A QR code as an SVG element: dark modules as one path, a quiet zone of
 * four modules around them, scaled by CSS. Built through the DOM, so the
 * page's Content-Security-Policy needs no inline style for it.
 */
import qrcode from 'qrcode-generator'

const SVG = 'http://www.w3.org/2000/svg'

export function qrSvg(text: string, label: string): SVGSVGElement {
  const code = qrcode(0, 'M')
  code.addData(text, 'Byte')
  code.make()
  const n = code.getModuleCount()
  const quiet = 4
  const size = n + 2 * quiet
  let d = ''
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (code.isDark(r, c)) d += `M${c + quiet} ${r + quiet}h1v1h-1z`
    }
  }
  const svg = document.createElementNS(SVG, 'svg')
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`)
  svg.setAttribute('class', 'qr')
  svg.setAttribute('role', 'img')
  svg.setAttribute('aria-label', label)
  svg.setAttribute('shape-rendering', 'crispEdges')
  const bg = document.createElementNS(SVG, 'rect')
  bg.setAttribute('width', String(size))
  bg.setAttribute('height', String(size))
  bg.setAttribute('fill', '#ffffff')
  const path = document.createElementNS(SVG, 'path')
  path.setAttribute('d', d)
  path.setAttribute('fill', '#000000')
  svg.append(bg, path)
  return svg
}
