# waves/render.tcl: GTKWave repscript used by waves/render.sh to draw a waveform to a PNG.
#
# GTKWave runs it every few hundred ms once its window is up (gtkwave -R render.tcl -P 400),
# so each call does one step: 1) zoom and place the markers, 2) grab the window to the PNG,
# 3) quit. Parameters come from the environment (render.sh sets them):
#   HBASIM_RENDER_OUT      PNG to write
#   HBASIM_RENDER_RANGE    "START_PS END_PS" or empty for the whole dump
#   HBASIM_RENDER_MARKERS  "PS:LABEL;PS:LABEL;..." (up to 26 named markers A-Z)
# Times are given in ps and converted to the dump's time unit.

if {![info exists ::hbasim_step]} { set ::hbasim_step 0 }
incr ::hbasim_step

proc hbasim_env {name} {
  if {[info exists ::env($name)]} { return $::env($name) }
  return ""
}

# ps -> dump time units (GTKWave reports the unit as one letter)
proc hbasim_units {ps} {
  switch -- [gtkwave::getTimeDimension] {
    f { return [expr {wide($ps) * 1000}] }
    p { return [expr {wide($ps)}] }
    n { return [expr {wide($ps) / 1000}] }
    u { return [expr {wide($ps) / 1000000}] }
    m { return [expr {wide($ps) / 1000000000}] }
    default { return [expr {wide($ps) / 1000000000000}] }
  }
}

switch -- $::hbasim_step {
  1 {
    set range [hbasim_env HBASIM_RENDER_RANGE]
    if {[llength $range] == 2} {
      gtkwave::setZoomRangeTimes [hbasim_units [lindex $range 0]] [hbasim_units [lindex $range 1]]
    } else {
      gtkwave::/Time/Zoom/Zoom_Full
    }
    set letters {A B C D E F G H I J K L M N O P Q R S T U V W X Y Z}
    set i 0
    foreach m [split [hbasim_env HBASIM_RENDER_MARKERS] ";"] {
      if {$m eq "" || $i >= 26} { continue }
      set colon [string first ":" $m]
      if {$colon < 0} { set t $m; set label "" } else {
        set t [string range $m 0 [expr {$colon - 1}]]
        set label [string range $m [expr {$colon + 1}] end]
      }
      set letter [lindex $letters $i]
      if {$label eq ""} { set label $letter }
      gtkwave::setNamedMarker $letter [hbasim_units $t] $label
      incr i
    }
    puts "render: dump $::env(HBASIM_RENDER_FST): [gtkwave::getMinTime]..[gtkwave::getMaxTime]\
          [gtkwave::getTimeDimension]s, [gtkwave::getTotalNumTraces] traces, $i markers"
  }
  2 {
    gtkwave::/File/Grab_To_File [hbasim_env HBASIM_RENDER_OUT]
  }
  default {
    gtkwave::/File/Quit
  }
}
